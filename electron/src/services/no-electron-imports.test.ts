import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * Layering rules that lint would enforce if electron/ had its own lint config: services are plain
 * Node (tested against the real server and keychain, so they must load without Electron), and
 * only the IPC wrapper touches ipcMain.
 */

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Module specifiers of static imports, re-exports, dynamic imports and require calls. */
function importedModules(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] ?? ''));
}

describe('layering', () => {
  it('finds the import forms it checks for', () => {
    const sample = `import { app } from 'electron';\nimport type { X } from "electron/main";\nconst k = await import('electron');\nexport * from 'electron';\nrequire("electron");`;
    expect(importedModules(sample)).toEqual(['electron', 'electron/main', 'electron', 'electron', 'electron']);
  });

  it('services/ never imports electron, directly or through another layer', () => {
    const offenders: string[] = [];
    const self = fileURLToPath(import.meta.url);
    for (const file of sourceFiles(join(srcDir, 'services')).filter((path) => path !== self)) {
      for (const specifier of importedModules(readFileSync(file, 'utf8'))) {
        const name = relative(srcDir, file);
        if (specifier === 'electron' || specifier.startsWith('electron/')) offenders.push(`${name} imports ${specifier}`);
        // Relative imports may only stay in services/ or reach the type-only contract.
        if (specifier.startsWith('..') && !specifier.startsWith('../contract/')) offenders.push(`${name} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('only ipc/ipc-main.ts touches ipcMain', () => {
    const users = sourceFiles(srcDir)
      // Tests, and the stand-in for electron that they use (testing/), are not the app.
      .filter((file) => !file.endsWith('.test.ts') && !relative(srcDir, file).startsWith(`testing${sep}`))
      .filter((file) => /\bipcMain\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(srcDir, file));
    expect(users).toEqual([join('ipc', 'ipc-main.ts')]);
  });
});
