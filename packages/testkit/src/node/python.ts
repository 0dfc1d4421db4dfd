import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';

let cached: string | null | undefined;

/**
 * The first python3 that can `import numpy`: `QUIVER_PYTHON` if set, else each `python3` on PATH in
 * order. Package-manager launchers (npx, for one) put their own directories, such as /usr/bin,
 * ahead of the user's PATH, so the first python3 found is not always the one with numpy.
 * Returns undefined when none has numpy.
 */
export function findPythonWithNumpy(): string | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const candidates = [process.env['QUIVER_PYTHON'], ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => dir && join(dir, 'python3'))];
  const tried = new Set<string>();
  cached = null;
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue;
    // pyenv shims resolve per environment, so dedupe on the path itself, not only its target.
    const key = `${candidate}\0${realpathSync(candidate)}`;
    if (tried.has(key)) continue;
    tried.add(key);
    if (spawnSync(candidate, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0) {
      cached = candidate;
      break;
    }
  }
  return cached ?? undefined;
}
