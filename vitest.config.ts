import { defineConfig } from 'vitest/config';

// One runner for the repository. Unit tests sit beside their code (`x.ts` + `x.test.ts`);
// integration tests live under `<workspace>/test/integration/` and need the stack that
// `npm run stack:up` started (they read `.stack/stack.json`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{contract,demo-data,proxy-server,stack,electron,renderer,bench}/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          environment: 'node',
          // Some unit tests encode HTJ2K or hash passwords: generous on a busy 2-core machine.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{proxy-server,stack,electron}/test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
