import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // quiet-output.ts routes the code's own logs (pino on stdout) through the console, so that
    // `silent: 'passed-only'` holds them back for passing tests and prints them with a failing one.
    setupFiles: ['test/support/setup-env.ts', 'test/support/quiet-output.ts'],
    silent: 'passed-only',
    // Handlers read configuration at import; every test file gets its own module graph.
    isolate: true,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
