import { defineConfig } from 'vitest/config';

// First the preflight: a missing program stops the run with one line naming its Debian
// package. Unit tests run in parallel; namespace tests (root only) and the package test
// (which compiles the addon) run one file at a time so that timing-sensitive checks are
// not starved on a two-core machine.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/preflight.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          // The addon's packet code compiled with sanitizers, checked and fuzzed on its own.
          name: 'native',
          include: ['test/native/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
