import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run on `src/` through the `libos-source` export condition: no build needed.
    conditions: ['libos-source', 'module', 'node', 'import', 'default'],
  },
  ssr: {
    resolve: {
      conditions: ['libos-source', 'module', 'node', 'import', 'default'],
      externalConditions: ['libos-source'],
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'] },
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      reporter: ['text-summary', 'html'],
    },
  },
});
