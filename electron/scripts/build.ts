/**
 * Builds the desktop shell into dist/:
 * - dist/main/main.js and the modules it imports: `tsc -p tsconfig.build.json` (ES modules);
 * - dist/contract/: @reading-station/contract compiled beside them, and their imports of it pointed
 *   there (an asar archive holds no TypeScript Node could run; see contract/scripts/emit-javascript.ts);
 * - dist/preload/preload.js: the sandboxed preload, as CommonJS. A sandboxed preload is run as
 *   one script whose `require` knows only `electron`, `events`, `timers` and `url` (no ESM, no
 *   local files), so the preload imports nothing at run time but `electron` and is transpiled on
 *   its own; type-checking it is `npm run typecheck`'s job. This script refuses an output that
 *   would require anything else.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitContractInto } from '@reading-station/contract/emit-javascript';
import ts from 'typescript';

const electronDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(electronDir, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(electronDir, 'tsconfig.build.json')], { stdio: 'inherit' });
emitContractInto(dist);

const preloadSource = join(electronDir, 'src', 'preload', 'preload.ts');
const output = ts.transpileModule(readFileSync(preloadSource, 'utf8'), {
  fileName: preloadSource,
  reportDiagnostics: true,
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false, removeComments: false },
});
if (output.diagnostics?.length) {
  throw new Error(ts.formatDiagnostics(output.diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => electronDir, getNewLine: () => '\n' }));
}
const required = [...output.outputText.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]);
const foreign = required.filter((name) => name !== 'electron');
if (foreign.length > 0) {
  throw new Error(`the sandboxed preload may require only "electron", but requires: ${foreign.join(', ')} (use \`import type\` for shared types)`);
}
mkdirSync(join(dist, 'preload'), { recursive: true });
writeFileSync(join(dist, 'preload', 'preload.js'), output.outputText);
// Tells Node-based tools that this one .js file is CommonJS inside a "type": "module" package.
writeFileSync(join(dist, 'preload', 'package.json'), '{ "type": "commonjs" }\n');
console.log('built dist/main/main.js and dist/preload/preload.js');
