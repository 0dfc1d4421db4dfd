import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFvecs, parseIvecs } from '@quiver/io-formats';

export interface SiftSmall {
  readonly dim: number;
  readonly base: Float32Array;
  readonly queries: Float32Array;
  /** For each query, the ids of its 100 nearest base vectors by squared L2, nearest first. */
  readonly groundTruth: Int32Array;
  readonly groundTruthK: number;
}

const FILES = { base: 'siftsmall_base.fvecs', queries: 'siftsmall_query.fvecs', groundTruth: 'siftsmall_groundtruth.ivecs' };

/** The files missing from `dir` (empty when siftsmall is complete there). */
export function missingFiles(dir: string): string[] {
  return Object.values(FILES).filter((file) => !existsSync(join(dir, file)));
}

export function loadSiftsmall(dir: string): SiftSmall {
  const base = parseFvecs(readFileSync(join(dir, FILES.base)));
  const queries = parseFvecs(readFileSync(join(dir, FILES.queries)));
  const truth = parseIvecs(readFileSync(join(dir, FILES.groundTruth)));
  return { dim: base.dim, base: base.data, queries: queries.data, groundTruth: truth.data, groundTruthK: truth.dim };
}
