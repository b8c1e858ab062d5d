import { defineConfig } from 'vitest/config';

// Compatibility suites read ../shared/corpus and print scoreboards; they skip with a message when it is absent.
export default defineConfig({
  test: {
    include: ['test/compat/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
