import { defineConfig } from 'vitest/config';

// The bench's own unit tests (pure parts: config rendering, parsers, statistics, reports). No
// timing is asserted anywhere. Run: bash scripts/node24.sh vitest run --config bench/vitest.config.ts
export default defineConfig({
  test: {
    name: 'bench-unit',
    root: new URL('.', import.meta.url).pathname,
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
