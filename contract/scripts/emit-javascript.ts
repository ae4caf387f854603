/**
 * For the builds that ship plain JavaScript (the gate's proxy-server/dist, the desktop app's
 * electron/dist): the contract is TypeScript source, which Node strips only outside node_modules
 * and never inside an Electron asar archive, and which the gate's dist must not make Node load
 * its type stripper for. So such a build calls `emitContractInto(dist)` after its own tsc run:
 *
 * - the contract's modules (src/, tests left out) are transpiled to `<dist>/contract/*.js`;
 * - every `@reading-station/contract` import of the built JavaScript is pointed at that copy
 *   (a relative specifier), so the output resolves inside itself, packed or not.
 *
 * Transpiled one module at a time (the contract is erasable TypeScript only; type-checking is
 * `npm run typecheck`'s job).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type TypeScript from 'typescript';

export const CONTRACT_PACKAGE = '@reading-station/contract';
export const contractSourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

const isSource = (name: string) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full, keep);
    return keep(entry.name) ? [full] : [];
  });
}

/** The newest modification time of the contract's sources (for a build's staleness check). */
export function newestContractSource(): number {
  return Math.max(0, ...filesUnder(contractSourceDir, isSource).map((file) => statSync(file).mtimeMs));
}

/** `import … from '@reading-station/contract'`, `export … from …` and `import('…')`, either quote. */
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*)(['"])@reading-station\/contract\2/g;

/**
 * Emits the contract into `<distDir>/<folder>` and rewrites the package imports of every other
 * `.js` file under distDir to it. Returns the files it rewrote; when none imports the contract,
 * nothing is emitted.
 */
export function emitContractInto(distDir: string, folder = 'contract'): string[] {
  const outDir = path.join(distDir, folder);
  const index = path.join(outDir, 'index.js');
  const rewritten: string[] = [];
  for (const file of filesUnder(distDir, (name) => name.endsWith('.js'))) {
    if (!path.relative(outDir, file).startsWith('..')) continue;
    let relative = path.relative(path.dirname(file), index).split(path.sep).join('/');
    if (!relative.startsWith('.')) relative = `./${relative}`;
    const text = readFileSync(file, 'utf8');
    const pointed = text.replace(SPECIFIER, (_match, lead: string, quote: string) => `${lead}${quote}${relative}${quote}`);
    if (pointed === text) continue;
    writeFileSync(file, pointed);
    rewritten.push(file);
  }
  if (rewritten.length === 0) return rewritten;

  // TypeScript is loaded only here, so importing this module (e.g. for newestContractSource) stays cheap.
  const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  for (const source of filesUnder(contractSourceDir, isSource)) {
    const output = ts.transpileModule(readFileSync(source, 'utf8'), {
      fileName: source,
      reportDiagnostics: true,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
        rewriteRelativeImportExtensions: true,
        removeComments: false,
      },
    });
    if (output.diagnostics?.length) {
      throw new Error(ts.formatDiagnostics(output.diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => contractSourceDir, getNewLine: () => '\n' }));
    }
    const target = path.join(outDir, path.relative(contractSourceDir, source)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, output.outputText);
  }
  return rewritten;
}
