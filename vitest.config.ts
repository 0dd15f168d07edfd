import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup-env.ts'],
    // Handlers read configuration at import; every test file gets its own module graph.
    isolate: true,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
