import type { Metric } from '@quiver/core-math';

/**
 * What a typical pure-JavaScript vector store does: keep the rows in one Float32Array, score every
 * row in a plain `for` loop into an array, then keep the best k by insertion into a short sorted
 * list. No SIMD, no tiling, no batching. Cosine normalizes rows at insert and the query per search.
 */
export class PlainLoopStore {
  readonly dim: number;
  readonly metric: Metric;
  private rows: Float32Array;
  private count = 0;

  constructor(dim: number, metric: Metric) {
    this.dim = dim;
    this.metric = metric;
    this.rows = new Float32Array(0);
  }

  get size(): number {
    return this.count;
  }

  get bytesPerVector(): number {
    return this.dim * 4;
  }

  add(vectors: Float32Array): void {
    const next = new Float32Array(this.rows.length + vectors.length);
    next.set(this.rows);
    next.set(vectors, this.rows.length);
    if (this.metric === 'cosine') normalizeInPlace(next.subarray(this.rows.length), this.dim);
    this.rows = next;
    this.count = next.length / this.dim;
  }

  /** Best k ids of one query, best first. */
  search(query: Float32Array, k: number): { ids: number[]; scores: number[] } {
    const { dim, rows, count } = this;
    const q = this.metric === 'cosine' ? normalizeInPlace(query.slice(), dim) : query;
    const scores = new Float32Array(count);
    for (let r = 0; r < count; r++) {
      const offset = r * dim;
      let sum = 0;
      if (this.metric === 'l2') {
        for (let j = 0; j < dim; j++) {
          const t = q[j]! - rows[offset + j]!;
          sum += t * t;
        }
        scores[r] = -sum;
      } else {
        for (let j = 0; j < dim; j++) sum += q[j]! * rows[offset + j]!;
        scores[r] = sum;
      }
    }
    const ids: number[] = [];
    const best: number[] = [];
    for (let r = 0; r < count; r++) {
      const s = scores[r]!;
      if (best.length === k && s <= best[k - 1]!) continue;
      let i = best.length === k ? k - 1 : best.length;
      while (i > 0 && best[i - 1]! < s) {
        best[i] = best[i - 1]!;
        ids[i] = ids[i - 1]!;
        i--;
      }
      best[i] = s;
      ids[i] = r;
    }
    return { ids, scores: best };
  }
}

function normalizeInPlace(data: Float32Array, dim: number): Float32Array {
  for (let offset = 0; offset < data.length; offset += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += data[offset + j]! * data[offset + j]!;
    const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let j = 0; j < dim; j++) data[offset + j] = data[offset + j]! * inv;
  }
  return data;
}
