#!/usr/bin/env node
/**
 * Checks the repository's structural rules (docs/architecture.md):
 * - workspace dependencies follow the allowed package graph;
 * - published core packages depend on nothing outside the repository;
 * - adapters take their frameworks as peer dependencies;
 * - a package's main entry never imports `node:*` (Node-only code lives under src/node/);
 * - every `exports` condition object lists `types` before `default`.
 * Exits non-zero with one line per violation.
 */
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Which workspace packages each package may depend on (runtime dependencies). */
const ALLOWED = {
  '@quiver/core-math': [],
  '@quiver/io-formats': ['@quiver/core-math'],
  '@quiver/flat': ['@quiver/core-math', '@quiver/io-formats'],
  '@quiver/quant': ['@quiver/core-math', '@quiver/io-formats'],
  '@quiver/pq': ['@quiver/core-math', '@quiver/io-formats'],
  '@quiver/hnsw': ['@quiver/core-math', '@quiver/io-formats', '@quiver/pq', '@quiver/quant'],
  '@quiver/idmap': ['@quiver/core-math', '@quiver/io-formats'],
  '@quiver/docstore': ['@quiver/core-math', '@quiver/io-formats', '@quiver/idmap', '@quiver/flat', '@quiver/quant', '@quiver/hnsw'],
  '@quiver/langchain': ['@quiver/core-math', '@quiver/docstore'],
  '@quiver/llamaindex': ['@quiver/core-math', '@quiver/docstore'],
  '@quiver/testkit': ['@quiver/core-math'],
};

const problems = [];
const packageDirs = ['packages', 'adapters']
  .filter((dir) => existsSync(join(root, dir)))
  .flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name)))
  .filter((dir) => existsSync(join(dir, 'package.json')));

for (const dir of packageDirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const where = relative(root, dir);
  const deps = Object.keys(pkg.dependencies ?? {});
  const allowed = ALLOWED[pkg.name];
  const isPublished = (dir.includes('/packages/') || dir.includes('/adapters/')) && !pkg.private;
  if (!allowed && isPublished) problems.push(`${where}: ${pkg.name} is missing from scripts/check-deps.mjs ALLOWED`);
  for (const dep of deps) {
    if (dep.startsWith('@quiver/')) {
      if (allowed && !allowed.includes(dep)) problems.push(`${where}: ${pkg.name} may not depend on ${dep}`);
    } else if (dir.includes('/packages/') && !pkg.private) {
      problems.push(`${where}: core package ${pkg.name} depends on ${dep} from outside the repository`);
    } else if (dir.includes('/adapters/')) {
      problems.push(`${where}: adapter ${pkg.name} must take ${dep} as a peer dependency, not a dependency`);
    }
  }
  checkExports(where, pkg.exports);
  const src = join(dir, 'src');
  if (existsSync(src)) for (const file of walk(src)) checkBrowserSafe(where, src, file);
}

function checkExports(where, exportsMap) {
  if (!exportsMap || typeof exportsMap !== 'object') return;
  for (const [subpath, target] of Object.entries(exportsMap)) {
    if (typeof target !== 'object' || target === null) continue;
    const keys = Object.keys(target);
    if (keys.includes('types') && keys.includes('default') && keys.indexOf('types') > keys.indexOf('default')) {
      problems.push(`${where}: exports["${subpath}"] lists "default" before "types"`);
    }
  }
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name)) yield path;
  }
}

function checkBrowserSafe(where, src, file) {
  const rel = relative(src, file);
  if (rel.startsWith('node/') || rel.startsWith('node\\')) return;
  const text = readFileSync(file, 'utf8');
  if (/from\s+['"]node:|import\(\s*['"]node:|(^|[^.\w])require\(\s*['"]/m.test(text)) {
    problems.push(`${where}/src/${rel}: the main entry must not import node:* (move it under src/node/)`);
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`check-deps: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`check-deps: ${packageDirs.length} packages follow the dependency and entry rules`);
