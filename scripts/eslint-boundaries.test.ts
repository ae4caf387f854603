// The lint rule that keeps workspaces apart (eslint.config.js, boundaries/no-cross-workspace-relative-import):
// a relative import into another workspace's folder fails; a package-name import and a relative
// import within the same workspace pass.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const RULE = 'boundaries/no-cross-workspace-relative-import';
const eslint = new ESLint({ cwd: repo });

/** The rule's messages for `code` linted as if it were the file at `file` (relative to the repository). */
async function boundaryMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repo, file) });
  if (!result) throw new Error(`ESLint returned no result for ${file}`);
  expect(result.messages.filter((m) => m.fatal)).toEqual([]);
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('ESLint: no relative import across workspaces', () => {
  it('fails an import into another workspace’s src/', async () => {
    const messages = await boundaryMessages(
      'stack/src/probe.ts',
      "import { createDatabase } from '../../proxy-server/src/db/database.ts';\nexport const db = createDatabase;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain("'../../proxy-server/src/db/database.ts' reaches into the proxy-server workspace from stack");
    expect(messages[0]).toContain('@reading-station/proxy-server');
  });

  it('fails every form of relative import that lands in another workspace, src/ or not', async () => {
    const messages = await boundaryMessages(
      'proxy-server/test/support/probe.ts',
      [
        "import type { RunningStack } from '../../../stack/test/support/running-stack.ts';",
        "export { phantomSlice } from '../../../demo-data/src/phantom.ts';",
        "export * from '../../../contract/src/index.ts';",
        "export const cli = await import('../../../stack/src/cli.ts');",
        "export type Manifest = import('../../../demo-data/src/generate.ts').DemoManifest;",
        'export type Stack = RunningStack;',
      ].join('\n'),
    );
    expect(messages).toHaveLength(5);
  });

  it('fails a relative import into a workspace from the repository’s own files', async () => {
    const messages = await boundaryMessages('scripts/probe.ts', "export { repoRoot } from '../stack/src/config.ts';\n");
    expect(messages).toEqual([expect.stringContaining('reaches into the stack workspace from the repository root')]);
  });

  it('passes a package-name import', async () => {
    const messages = await boundaryMessages(
      'bench/src/probe.ts',
      "import { createDatabase } from '@reading-station/proxy-server';\nimport { repoRoot } from '@reading-station/stack';\nexport const used = [createDatabase, repoRoot];\n",
    );
    expect(messages).toEqual([]);
  });

  it('passes relative imports that stay in the same workspace', async () => {
    const messages = await boundaryMessages(
      'stack/test/integration/probe.ts',
      [
        "import { loadStackConfig } from '../../src/config.ts';",
        "import { runStackCli } from '../support/run-cli.ts';",
        "import { stackLayout } from '../../../stack/src/layout.ts';",
        'export const used = [loadStackConfig, runStackCli, stackLayout];',
      ].join('\n'),
    );
    expect(messages).toEqual([]);
  });

  it('leaves imports between files outside any workspace alone', async () => {
    const messages = await boundaryMessages('scripts/probe.ts', "export * from './summarise-results.mjs';\n");
    expect(messages).toEqual([]);
  });
});
