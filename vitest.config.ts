import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real servers and bind real sockets: keep files in separate workers
    // but do not oversubscribe the two cores.
    maxWorkers: 2,
  },
});
