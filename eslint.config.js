import { readFileSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const repoRoot = import.meta.dirname;
/** The npm workspaces (top-level folders) and their package names, from the root package.json. */
const workspaces = new Map(
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).workspaces.map((dir) => {
    let name = dir;
    try {
      name = JSON.parse(readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8')).name;
    } catch {
      // a workspace without its package.json yet: name it by its folder
    }
    return [dir, name];
  }),
);

/** The workspace folder a file lies in, or null for the repository's own files (scripts/, configs). */
function workspaceOf(file) {
  const [first, ...rest] = path.relative(repoRoot, file).split(path.sep);
  return rest.length > 0 && workspaces.has(first) ? first : null;
}

/**
 * A relative import (`import`, `export … from`, `import()`, `import('…')` types) whose target lies in
 * another workspace than the importing file: packages reach each other by name, through the
 * `exports` of their package.json, never into each other's folders.
 */
const noCrossWorkspaceRelativeImport = {
  meta: {
    type: 'problem',
    docs: { description: 'forbid relative imports that reach into another workspace' },
    schema: [],
    messages: {
      crossWorkspace: "'{{source}}' reaches into the {{target}} workspace from {{from}}: import '{{name}}' (its package.json exports) instead.",
    },
  },
  create(context) {
    const from = workspaceOf(context.filename);
    const check = (node) => {
      const source = node?.type === 'Literal' ? node.value : undefined;
      if (typeof source !== 'string' || !(source.startsWith('./') || source.startsWith('../'))) return;
      const target = workspaceOf(path.resolve(path.dirname(context.filename), source));
      if (target === null || target === from) return;
      context.report({
        node,
        messageId: 'crossWorkspace',
        data: { source, target, from: from ?? 'the repository root', name: workspaces.get(target) },
      });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) => check(node.source),
    };
  },
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', '.stack/**', '**/test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workspaces reach each other by package name only (issue 10); tested in scripts/eslint-boundaries.test.ts.
    files: ['**/*.{js,mjs,cjs,ts,mts,cts,tsx}'],
    plugins: { boundaries: { rules: { 'no-cross-workspace-relative-import': noCrossWorkspaceRelativeImport } } },
    rules: { 'boundaries/no-cross-workspace-relative-import': 'error' },
  },
  {
    // Desktop services are plain Node modules, tested without an Electron binary.
    files: ['electron/src/services/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'services must not depend on Electron' }] }],
    },
  },
  {
    // The contract runs in the browser, Electron's main process and Node alike: zod, fetch and
    // AbortSignal only (contract/README.md). Its tests and build script may use Node.
    files: ['contract/src/**/*.ts'],
    ignores: ['contract/src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'the contract is environment-neutral' }], patterns: [{ group: ['node:*'], message: 'the contract is environment-neutral: no Node modules' }] },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage', 'process', 'Buffer', 'require', '__dirname'],
    },
  },
);
