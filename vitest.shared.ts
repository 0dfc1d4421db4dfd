import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings. Workspace packages resolve to their TypeScript sources through the
 * `@quiver/source` export condition, so tests never need a prior build of their dependencies.
 */
export default defineConfig({
  resolve: { conditions: ['@quiver/source', 'import', 'module', 'default'] },
  ssr: { resolve: { conditions: ['@quiver/source', 'import', 'module', 'default'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A JSON report per package lets .ci/run print one closing tally for the whole repository.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
