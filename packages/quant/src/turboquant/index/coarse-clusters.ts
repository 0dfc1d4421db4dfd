import { lutParamStride, LUT_BLOCK, type Kernels } from '@quiver/core-math';
import { scanBlocks, type LutQueryTables, type LutScanData } from './lut-search.js';

/** Spherical k-means iterations on the sample: a coarse clustering is all the scan order needs. */
const KMEANS_ITERATIONS = 4;
/** Blocks per kernel call of the row assignment. */
const ASSIGN_CHUNK = 16;

/**
 * The number of coarse clusters for n rows: about sqrt(n / 32), so a cluster spans about as many
 * 32-row blocks as there are clusters.
 */
export function coarseClusterCount(n: number): number {
  return Math.max(2, Math.min(256, Math.round(Math.sqrt(n / LUT_BLOCK))));
}

/**
 * Unit centroids (count × dim) of `sample` (rows × dim) by spherical k-means, seeded with evenly
 * spaced sample rows: deterministic for the same sample.
 */
export function fitCentroids(kernels: Kernels, sample: Float32Array, dim: number, count: number): Float32Array {
  const rows = sample.length / dim;
  const unit = sample.slice();
  for (let r = 0; r < rows; r++) normalizeInPlace(unit, r * dim, dim);
  const centroids = new Float32Array(count * dim);
  for (let c = 0; c < count; c++) centroids.set(unit.subarray(Math.floor((c * rows) / count) * dim, (Math.floor((c * rows) / count) + 1) * dim), c * dim);
  for (let iteration = 0; iteration < KMEANS_ITERATIONS; iteration++) {
    const nearest = nearestCentroids(kernels, unit, rows, dim, centroids, count);
    const sums = new Float64Array(count * dim);
    const sizes = new Int32Array(count);
    for (let r = 0; r < rows; r++) {
      const c = nearest[r]!;
      sizes[c]!++;
      for (let j = 0; j < dim; j++) sums[c * dim + j]! += unit[r * dim + j]!;
    }
    for (let c = 0; c < count; c++) {
      if (sizes[c] === 0) continue; // an empty cluster keeps its centroid
      for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j]!;
      normalizeInPlace(centroids, c * dim, dim);
    }
  }
  return centroids;
}

/** The centroid of largest dot product with each of `n` rows (n × dim), by the batch dot kernel. */
export function nearestCentroids(kernels: Kernels, rows: Float32Array, n: number, dim: number, centroids: Float32Array, count: number): Int32Array {
  const { arena } = kernels;
  const batch = Math.max(1, Math.min(n, Math.floor((4 << 20) / (dim * 4))));
  const block = arena.alloc((count * dim + batch * dim + batch * count) * 4);
  const centroidsPtr = block.ptr;
  const rowsPtr = centroidsPtr + count * dim * 4;
  const outPtr = rowsPtr + batch * dim * 4;
  const nearest = new Int32Array(n);
  try {
    arena.f32(centroidsPtr, count * dim).set(centroids);
    for (let r0 = 0; r0 < n; r0 += batch) {
      const m = Math.min(batch, n - r0);
      arena.f32(rowsPtr, m * dim).set(rows.subarray(r0 * dim, (r0 + m) * dim));
      kernels.dotF32Batch(rowsPtr, m, centroidsPtr, count, dim, outPtr);
      const scores = arena.f32(outPtr, m * count);
      for (let a = 0; a < m; a++) nearest[r0 + a] = argmax(scores, a * count, count);
    }
  } finally {
    arena.free(block);
  }
  return nearest;
}

/**
 * The coarse cluster of every stored row: the centroid whose lookup tables (built like a query's,
 * without early exit) give the row its highest estimated score. A row's positive scale does not
 * change which centroid wins.
 */
export function assignRows(kernels: Kernels, data: LutScanData, tables: LutQueryTables): Int32Array {
  const { arena } = kernels;
  const { positions, count } = data;
  const centroids = tables.queryCount;
  const lutBytes = positions * 16;
  const stride = lutParamStride(positions);
  const blocks = Math.ceil(count / LUT_BLOCK);
  const m0 = Math.min(8, centroids);
  const tileWidth = ASSIGN_CHUNK * LUT_BLOCK;
  const block = arena.alloc(m0 * lutBytes + m0 * stride * 4 + m0 * tileWidth * 4);
  const lutsPtr = block.ptr;
  const paramsPtr = lutsPtr + m0 * lutBytes;
  const tilePtr = paramsPtr + m0 * stride * 4;
  const best = new Float32Array(count).fill(-Infinity);
  const nearest = new Int32Array(count);
  try {
    for (let c0 = 0; c0 < centroids; c0 += m0) {
      const m = Math.min(m0, centroids - c0);
      arena.u8(lutsPtr, m * lutBytes).set(tables.u8.subarray(c0 * lutBytes, (c0 + m) * lutBytes));
      arena.f32(paramsPtr, m * stride).set(tables.params.subarray(c0 * stride, (c0 + m) * stride));
      for (let b0 = 0; b0 < blocks; b0 += ASSIGN_CHUNK) {
        const n = Math.min(ASSIGN_CHUNK, blocks - b0);
        scanBlocks(kernels, data, lutsPtr, m, paramsPtr, b0, b0 + n, 0, 0, tilePtr);
        const width = n * LUT_BLOCK;
        const tile = arena.f32(tilePtr, m * width);
        const rows = Math.min(width, count - b0 * LUT_BLOCK);
        for (let a = 0; a < m; a++) {
          for (let i = 0; i < rows; i++) {
            const score = tile[a * width + i]!;
            const row = b0 * LUT_BLOCK + i;
            if (score > best[row]!) {
              best[row] = score;
              nearest[row] = c0 + a;
            }
          }
        }
      }
    }
  } finally {
    arena.free(block);
  }
  return nearest;
}

function argmax(values: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[offset + i]! > values[offset + best]!) best = i;
  return best;
}

function normalizeInPlace(values: Float32Array, offset: number, dim: number): void {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += values[offset + j]! * values[offset + j]!;
  if (sum === 0) return;
  const scale = 1 / Math.sqrt(sum);
  for (let j = 0; j < dim; j++) values[offset + j]! *= scale;
}
