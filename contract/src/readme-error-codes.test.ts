import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_CODE_LIST } from './error-codes.ts';

/** The rows of the root README's error-code table (`| code | HTTP | meaning |`), as [code, status]. */
function readmeErrorCodes(): Array<[string, number]> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const lines = readme.split('\n');
  const header = lines.findIndex((line) => /^\|\s*code\s*\|\s*HTTP\s*\|\s*meaning\s*\|\s*$/.test(line));
  if (header === -1) throw new Error('README.md has no "| code | HTTP | meaning |" table');
  const rows: Array<[string, number]> = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [, code, status] = line.split('|').map((cell) => cell.trim());
    const name = /^`([A-Z_]+)`$/.exec(code ?? '')?.[1];
    if (!name) throw new Error(`README.md error-code row without a \`CODE\`: ${line}`);
    rows.push([name, Number(status)]);
  }
  return rows;
}

describe('the README’s error-code table', () => {
  it('lists exactly the contract’s codes, each once', () => {
    const listed = readmeErrorCodes().map(([code]) => code);
    expect(new Set(listed).size, 'a code listed twice').toBe(listed.length);
    expect(listed.filter((code) => !(ERROR_CODE_LIST as string[]).includes(code)), 'in the README, not in the contract').toEqual([]);
    expect(ERROR_CODE_LIST.filter((code) => !listed.includes(code)), 'in the contract, not in the README').toEqual([]);
  });

  it('gives each code the HTTP status the contract gives it', () => {
    for (const [code, status] of readmeErrorCodes()) {
      expect(status, code).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].status);
    }
  });
});
