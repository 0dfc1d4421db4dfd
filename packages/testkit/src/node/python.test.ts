import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findPythonWithNumpy } from './python.js';

describe('findPythonWithNumpy', () => {
  it('finds a python3 that really imports numpy, whatever comes first on PATH', () => {
    const python = findPythonWithNumpy();
    if (!python) {
      // CI machines have python3 with numpy; elsewhere there is nothing to check.
      expect(process.env['CI'], 'python3 with numpy is required in CI').toBeFalsy();
      return;
    }
    const run = spawnSync(python, ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+/);
  });
});
