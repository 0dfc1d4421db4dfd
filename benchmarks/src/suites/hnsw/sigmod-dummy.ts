import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';
import type { Workload } from '../../data/synthetic.js';

/**
 * The SIGMOD 2024 programming contest's "dummy" set (`<datasets>/sigmod2024-dummy`, see its
 * README): 10,000 CLIP-derived 100-d points, each with a category C and a timestamp T in [0, 0.1],
 * and 10,000 queries of four types. The hnsw suite uses the vectors of the plain kNN (type 0)
 * queries with its own attribute predicate.
 */
export interface SigmodDummy extends Workload {
  readonly category: Float32Array;
  readonly timestamp: Float32Array;
}

const DATA = 'dummy-data.bin';
const QUERIES = 'dummy-queries.bin';
const POINT_FIELDS = 2;
const QUERY_FIELDS = 4;
const DIM = 100;

export function sigmodDummyDir(datasets: string): string {
  return join(datasets, 'sigmod2024-dummy');
}

/** Why the set cannot be loaded, or `undefined` when its files are there. */
export function sigmodDummyMissing(datasets: string): string | undefined {
  const missing = [DATA, QUERIES].filter((file) => !existsSync(join(sigmodDummyDir(datasets), file)));
  return missing.length === 0 ? undefined : `sigmod2024-dummy not found in ${sigmodDummyDir(datasets)} (missing ${missing.join(', ')})`;
}

/** `uint32 count` then `count` rows of `width` float32. */
function readRows(path: string, width: number): Float32Array {
  const bytes = readFileSync(path);
  if (bytes.byteLength < 4) throw new CorruptFileError('truncated', `${path}: no row count`);
  const count = bytes.readUInt32LE(0);
  if (bytes.byteLength !== 4 + count * width * 4) throw new CorruptFileError('truncated', `${path}: ${count} rows of ${width} float32 need ${4 + count * width * 4} bytes, got ${bytes.byteLength}`);
  const rows = new Float32Array(count * width);
  new Uint8Array(rows.buffer).set(bytes.subarray(4));
  return rows;
}

function column(rows: Float32Array, width: number, index: number): Float32Array {
  const out = new Float32Array(rows.length / width);
  for (let r = 0; r < out.length; r++) out[r] = rows[r * width + index]!;
  return out;
}

function vectors(rows: Float32Array, width: number, skip: number, keep: (row: number) => boolean): Float32Array {
  const picked: number[] = [];
  for (let r = 0; r < rows.length / width; r++) if (keep(r)) picked.push(r);
  const out = new Float32Array(picked.length * DIM);
  picked.forEach((r, i) => out.set(rows.subarray(r * width + skip, r * width + skip + DIM), i * DIM));
  return out;
}

export function loadSigmodDummy(datasets: string): SigmodDummy {
  const missing = sigmodDummyMissing(datasets);
  if (missing) throw new InvalidArgumentError('--datasets', missing);
  const dir = sigmodDummyDir(datasets);
  const points = readRows(join(dir, DATA), POINT_FIELDS + DIM);
  const queries = readRows(join(dir, QUERIES), QUERY_FIELDS + DIM);
  const pointWidth = POINT_FIELDS + DIM;
  const queryWidth = QUERY_FIELDS + DIM;
  return {
    dim: DIM,
    base: vectors(points, pointWidth, POINT_FIELDS, () => true),
    category: column(points, pointWidth, 0),
    timestamp: column(points, pointWidth, 1),
    queries: vectors(queries, queryWidth, QUERY_FIELDS, (r) => queries[r * queryWidth] === 0),
  };
}

/**
 * A timestamp window holding `selectivity` of the first `n` points: the central quantile range
 * of T (T is spread evenly over [0, 0.1], so this is a plain time-range predicate, uncorrelated
 * with the vectors).
 */
export function timestampWindow(timestamp: Float32Array, n: number, selectivity: number): { from: number; to: number } {
  const sorted = Float32Array.from(timestamp.subarray(0, n)).sort();
  const lo = Math.floor(((1 - selectivity) / 2) * n);
  const hi = Math.min(n - 1, lo + Math.round(selectivity * n) - 1);
  return { from: sorted[lo]!, to: sorted[hi]! };
}
