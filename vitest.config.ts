import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/**/*.test.ts",
      "src/**/*.test.ts",
      "wrangler-free-local/**/*.test.ts",
      "infrastructure/test/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most test files wait on child processes and loopback peers, not CPU: two at a time on CI's 2 cores took a
    // Node 24 run from 467 s to 303 s (vitest's default there is one).
    maxWorkers: 2,
  },
});
