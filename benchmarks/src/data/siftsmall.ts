import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '@quiver/core-math';
import { parseFvecs, parseIvecs } from '@quiver/io-formats';
import type { Workload } from './synthetic.js';

export interface SiftSmall extends Workload {
  /** 100 true neighbour ids per query (squared L2, nearest first). */
  readonly groundTruth: Int32Array;
  readonly groundTruthK: number;
}

const FILES = ['siftsmall_base.fvecs', 'siftsmall_query.fvecs', 'siftsmall_groundtruth.ivecs'] as const;

export function siftsmallDir(datasets: string): string {
  return join(datasets, 'siftsmall');
}

/** Why siftsmall cannot be loaded from `datasets`, or `undefined` when all its files are there. */
export function siftsmallMissing(datasets: string): string | undefined {
  const missing = FILES.filter((file) => !existsSync(join(siftsmallDir(datasets), file)));
  return missing.length === 0 ? undefined : `siftsmall not found in ${siftsmallDir(datasets)} (missing ${missing.join(', ')})`;
}

export function loadSiftsmall(datasets: string): SiftSmall {
  const missing = siftsmallMissing(datasets);
  if (missing) throw new InvalidArgumentError('--datasets', missing);
  const dir = siftsmallDir(datasets);
  const base = parseFvecs(readFileSync(join(dir, FILES[0])));
  const queries = parseFvecs(readFileSync(join(dir, FILES[1])));
  const truth = parseIvecs(readFileSync(join(dir, FILES[2])));
  return { dim: base.dim, base: base.data, queries: queries.data, groundTruth: truth.data, groundTruthK: truth.dim };
}
