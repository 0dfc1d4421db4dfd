import { AbortedError, InvalidArgumentError, SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { kmeans, splitEmptyClusters } from './kmeans.js';

/** Well separated clusters with their true labels: centers N(0, 10²), points at spread 0.1. */
function clustered(n: number, dim: number, clusters: number, seed: number): { data: Float32Array; labels: Int32Array } {
  const random = new SeededRandom(seed);
  const centers = Float64Array.from({ length: clusters * dim }, () => 10 * random.nextGaussian());
  const data = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let j = 0; j < dim; j++) data[i * dim + j] = centers[c * dim + j]! + 0.1 * random.nextGaussian();
  }
  return { data, labels };
}

/** Inertia of a given partition around its own means (the optimum for well separated clusters). */
function partitionInertia(data: Float32Array, dim: number, labels: Int32Array, k: number): number {
  const sums = new Float64Array(k * dim);
  const sizes = new Float64Array(k);
  labels.forEach((c, i) => {
    sizes[c]!++;
    for (let j = 0; j < dim; j++) sums[c * dim + j]! += data[i * dim + j]!;
  });
  let inertia = 0;
  labels.forEach((c, i) => {
    for (let j = 0; j < dim; j++) inertia += (data[i * dim + j]! - sums[c * dim + j]! / sizes[c]!) ** 2;
  });
  return inertia;
}

describe('kmeans', () => {
  it('recovers well separated clusters: inertia within 1% of the true partition', () => {
    const dim = 12;
    const k = 20;
    const { data, labels } = clustered(2000, dim, k, 5);
    const result = kmeans(data, dim, { k, seed: 1 });
    const optimum = partitionInertia(data, dim, labels, k);
    expect(result.inertia).toBeGreaterThanOrEqual(optimum * 0.999);
    expect(result.inertia).toBeLessThanOrEqual(optimum * 1.01);
    expect(result.centroids.length).toBe(k * dim);
    expect(result.trainingPoints).toBe(2000);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const dim = 8;
    const data = new SeededRandom(3).fillGaussian(new Float32Array(3000 * dim)) as Float32Array;
    const a = kmeans(data, dim, { k: 32, seed: 7, iterations: 5 });
    const b = kmeans(data, dim, { k: 32, seed: 7, iterations: 5 });
    const c = kmeans(data, dim, { k: 32, seed: 8, iterations: 5 });
    expect(b.centroids).toEqual(a.centroids);
    expect(b.inertia).toBe(a.inertia);
    expect(c.centroids).not.toEqual(a.centroids);
  });

  it('lowers the inertia with every iteration budget and reports progress', () => {
    const dim = 4;
    const data = new SeededRandom(4).fillGaussian(new Float32Array(4000 * dim)) as Float32Array;
    const progress: number[] = [];
    const inertias = [0, 1, 4, 16].map((iterations) =>
      kmeans(data, dim, { k: 50, iterations, onProgress: (done, total) => progress.push(done / total) }).inertia,
    );
    for (let i = 1; i < inertias.length; i++) expect(inertias[i]).toBeLessThan(inertias[i - 1]!);
    expect(progress.at(-1)).toBe(1);
  });

  it('caps the training points at k × maxPointsPerCentroid', () => {
    const dim = 3;
    const data = new SeededRandom(5).fillGaussian(new Float32Array(5000 * dim)) as Float32Array;
    const result = kmeans(data, dim, { k: 10, maxPointsPerCentroid: 40 });
    expect(result.trainingPoints).toBe(400);
  });

  it('handles duplicates (k-means++ draws equal points) without NaN or lost centroids', () => {
    const dim = 2;
    const data = new Float32Array(40 * dim);
    for (let i = 0; i < 40; i++) data.set(i < 30 ? [1, 2] : [5, -1], i * dim);
    const result = kmeans(data, dim, { k: 4 });
    expect(result.centroids.every(Number.isFinite)).toBe(true);
    expect(result.inertia).toBeLessThan(1e-6);
  });

  it('splits the largest cluster into empty ones with a symmetric perturbation', () => {
    const centroids = new Float32Array([1, 2, 0, 0, 4, -8]);
    const sizes = new Float64Array([10, 0, 3]);
    splitEmptyClusters(centroids, sizes, 2);
    const eps = 1 / 1024;
    expect([...centroids]).toEqual([1 * (1 - eps), 2 * (1 + eps), 1 * (1 + eps), 2 * (1 - eps), 4, -8].map(Math.fround));
    expect([...sizes]).toEqual([5, 5, 3]);
  });

  it('validates its input and honours an abort signal', () => {
    const data = new Float32Array(30).fill(1);
    expect(() => kmeans(data, 3, { k: 11 })).toThrow(InvalidArgumentError);
    expect(() => kmeans(data, 3, { k: 0 })).toThrow(InvalidArgumentError);
    expect(() => kmeans(data, 4, { k: 2 })).toThrow(/dimension/);
    expect(() => kmeans(new Float32Array([1, NaN, 3]), 3, { k: 1 })).toThrow(InvalidArgumentError);
    const controller = new AbortController();
    controller.abort();
    expect(() => kmeans(data, 3, { k: 2, signal: controller.signal })).toThrow(AbortedError);
  });
});
