import { defineConfig } from 'vitest/config';

// One run covers every package and service. Each test file runs in its own
// forked process; database-backed tests get a unique schema (see packages/db/src/testing.ts).
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'scripts/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['packages/db/src/test-global-setup.ts'],
  },
});
