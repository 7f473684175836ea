import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // Builds the CLI once per run into a temporary folder (tests that run the binary use it; see test/helpers/run.ts).
    globalSetup: ['test/global-setup.ts'],
    // A temporary folder per test file, removed after it (test/temp-root.ts).
    setupFiles: ['test/temp-root.ts'],
    disableConsoleIntercept: true,
    env: {FORCE_COLOR: '0', NO_COLOR: '1'},
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
