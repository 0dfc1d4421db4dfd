import { defineConfig } from 'vitest/config';

const conditions = ['@quiver/source', 'import', 'module', 'default'];

/** Runs the ad hoc measurement scripts in this folder (never part of the package's `vitest run`). */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { include: ['scripts/*-bench.ts'], reporters: ['default'], pool: 'forks', testTimeout: 600_000 },
});
