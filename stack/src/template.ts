/** Fills `{{NAME}}` placeholders; a placeholder left without a value is an error, never blank. */
export function renderTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  const missing = new Set<string>();
  const rendered = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return String(value);
  });
  if (missing.size > 0) {
    throw new Error(`template placeholders without a value: ${[...missing].join(', ')}`);
  }
  return rendered;
}
