import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Metric } from '@quiver/core-math';
import { encodeNpy } from '@quiver/io-formats';
import { findPythonWithNumpy } from '@quiver/testkit/node';

const SCRIPT = fileURLToPath(new URL('../../python/numpy_baseline.py', import.meta.url));

/** What `python/numpy_baseline.py` prints. */
export interface NumpyResult {
  readonly numpy: string;
  readonly blas: string;
  readonly blasThreads: string | null;
  readonly buildMs: number;
  readonly bytesPerVector: number;
  /** `null` when no single queries were asked for. */
  readonly single: { samples: number; p50Ms: number; p99Ms: number; meanMs: number } | null;
  readonly loop: { queries: number; medianMs: number; qps: number };
  readonly gemm: { queries: number; medianMs: number; qps: number };
  readonly peakRssBytes: number;
  /** Top-k ids of the GEMM batch, one list per query, best first. */
  readonly ids: number[][];
}

export interface NumpyRun {
  readonly base: Float32Array;
  readonly queries: Float32Array;
  readonly dim: number;
  readonly metric: Metric;
  readonly k: number;
  /** Single queries timed for latency. */
  readonly single: number;
  /** The first `batch` queries form the throughput batch. */
  readonly batch: number;
  readonly repeats: number;
}

/** Why numpy cannot run here, or `undefined` when python3 with numpy is available. */
export function numpyUnavailableReason(): string | undefined {
  return findPythonWithNumpy() ? undefined : 'no python3 with numpy on PATH (or in QUIVER_PYTHON)';
}

/**
 * Runs the numpy baseline in a child process on the same vectors (handed over as temporary .npy
 * files) with one BLAS thread.
 */
export async function runNumpyBaseline(run: NumpyRun): Promise<NumpyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-bench-'));
  try {
    const basePath = join(dir, 'base.npy');
    const queryPath = join(dir, 'queries.npy');
    writeFileSync(basePath, encodeNpy({ shape: [run.base.length / run.dim, run.dim], data: run.base }));
    writeFileSync(queryPath, encodeNpy({ shape: [run.queries.length / run.dim, run.dim], data: run.queries }));
    const args = [
      SCRIPT,
      ...['--base', basePath, '--queries', queryPath, '--metric', run.metric],
      ...['--k', String(run.k), '--single', String(run.single), '--batch', String(run.batch), '--repeats', String(run.repeats)],
    ];
    const oneThread = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const { stdout } = await promisify(execFile)(findPythonWithNumpy()!, args, {
      env: { ...process.env, ...oneThread },
      maxBuffer: 256 * 1024 * 1024,
    });
    return JSON.parse(stdout) as NumpyResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
