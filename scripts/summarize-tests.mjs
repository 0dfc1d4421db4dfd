#!/usr/bin/env node
/**
 * Sums the JSON reports every package's vitest run writes to `.vitest-report.json` and prints one
 * closing line, `Tests: N passed, N failed, N skipped`. Exits non-zero if a report is missing for a
 * package that has tests, or if any test failed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'adapters', 'examples']
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => readdirSync(join(root, d)).map((name) => join(root, d, name)))
  .concat(existsSync(join(root, 'benchmarks')) ? [join(root, 'benchmarks')] : []);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of dirs) {
  const pkgPath = join(dir, 'package.json');
  if (!existsSync(pkgPath)) continue;
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  if (!pkg.scripts?.test) continue;
  const reportPath = join(dir, '.vitest-report.json');
  if (!existsSync(reportPath)) {
    missing.push(pkg.name);
    continue;
  }
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`${pkg.name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
if (missing.length > 0) console.error(`no test report from: ${missing.join(', ')}`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing.length > 0 || passed === 0 ? 1 : 0);
