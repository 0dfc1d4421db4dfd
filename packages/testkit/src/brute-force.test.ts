import { SlotList } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { bruteForceTopK, compareWithBruteForce, recallAtK } from './brute-force.js';
import { gaussianMixture, randomVectors } from './generators.js';

describe('generators', () => {
  it('are deterministic per seed and share clusters across sample seeds', () => {
    const a = gaussianMixture({ n: 50, dim: 4, clusters: 3, seed: 9 });
    expect(gaussianMixture({ n: 50, dim: 4, clusters: 3, seed: 9 })).toEqual(a);
    expect(gaussianMixture({ n: 50, dim: 4, clusters: 3, seed: 10 })).not.toEqual(a);
    const queries = gaussianMixture({ n: 5, dim: 4, clusters: 3, seed: 9, sampleSeed: 1 });
    // Queries drawn from the same clusters lie close to some data point.
    const truth = bruteForceTopK(a, queries, 4, 1, 'l2');
    for (let q = 0; q < 5; q++) expect(-truth.scores[q]!).toBeLessThan(2);
    expect(randomVectors(3, 2, 5)).toEqual(randomVectors(3, 2, 5));
  });
});

describe('bruteForceTopK', () => {
  it('orders by score, breaks ties by the lower slot and honours filters and thresholds', () => {
    const data = new Float32Array([1, 0, 0, 1, 1, 0, 2, 0]);
    const query = new Float32Array([1, 0]);
    const dot = bruteForceTopK(data, query, 2, 3, 'dot');
    expect([...dot.slots]).toEqual([3, 0, 2]);
    expect([...dot.scores]).toEqual([2, 1, 1]);
    const cosine = bruteForceTopK(data, query, 2, 4, 'cosine', { filter: new SlotList([1, 2, 3]) });
    expect([...cosine.slots]).toEqual([2, 3, 1, -1]);
    expect(cosine.counts[0]).toBe(3);
    const l2 = bruteForceTopK(data, query, 2, 4, 'l2', { minScore: -1.5 });
    expect([...l2.slots.subarray(0, l2.counts[0]!)]).toEqual([0, 2, 3]);
  });
});

describe('recallAtK and compareWithBruteForce', () => {
  const data = gaussianMixture({ n: 100, dim: 8, seed: 2 });
  const queries = gaussianMixture({ n: 4, dim: 8, seed: 2, sampleSeed: 3 });
  const truth = bruteForceTopK(data, queries, 8, 5, 'l2');
  const asResult = () => ({ ...truth, slots: truth.slots.slice(), scores: Float32Array.from(truth.scores), counts: truth.counts.slice() });

  it('accepts the truth itself', () => {
    expect(recallAtK(truth, truth)).toBe(1);
    expect(compareWithBruteForce(asResult(), data, queries, 8, 'l2')).toEqual([]);
  });

  it('detects a wrong neighbour, a wrong score and bad order', () => {
    const wrong = asResult();
    wrong.slots[4] = truth.slots[5 + 4] === 99 ? 98 : 99;
    expect(recallAtK(wrong, truth)).toBeCloseTo(1 - 0.2 / 4);
    expect(compareWithBruteForce(wrong, data, queries, 8, 'l2').length).toBeGreaterThan(0);
    const badScore = asResult();
    badScore.scores[0] = badScore.scores[0]! + 0.5;
    expect(compareWithBruteForce(badScore, data, queries, 8, 'l2').length).toBeGreaterThan(0);
    const swapped = asResult();
    [swapped.slots[0], swapped.slots[1]] = [swapped.slots[1]!, swapped.slots[0]!];
    [swapped.scores[0], swapped.scores[1]] = [swapped.scores[1]!, swapped.scores[0]!];
    expect(compareWithBruteForce(swapped, data, queries, 8, 'l2').some((p) => p.includes('out of order'))).toBe(true);
    const short = asResult();
    short.counts[2] = 4;
    expect(compareWithBruteForce(short, data, queries, 8, 'l2').length).toBeGreaterThan(0);
  });
});
