import { describe, expect, it } from 'vitest';
import { recallAtK } from './recall.js';

// Four 1-d base points: 0 and 2 are both at distance 1 from the query 1; 5 and 9 are far.
const base = new Float32Array([0, 2, 5, 9]);
const queries = new Float32Array([1]);
const input = { metric: 'l2' as const, base, queries, dim: 1, k: 1 };

describe('recallAtK', () => {
  it('counts a neighbour at the same distance as the true one (tie-aware), but not strictly', () => {
    const r = recallAtK({ ...input, truth: { ids: [0], stride: 1 }, found: { ids: [1], stride: 1 } });
    expect(r.tieAware).toBe(1);
    expect(r.strict).toBe(0);
    expect(r.imperfectQueries).toBe(0);
  });

  it('counts a farther neighbour as a miss', () => {
    const r = recallAtK({ ...input, truth: { ids: [0], stride: 1 }, found: { ids: [2], stride: 1 } });
    expect(r.tieAware).toBe(0);
    expect(r.imperfectQueries).toBe(1);
  });

  it('ignores padding and duplicate ids', () => {
    const r = recallAtK({ ...input, k: 2, truth: { ids: [0, 1], stride: 2 }, found: { ids: [0, 0], stride: 2 } });
    expect(r.tieAware).toBe(0.5);
    const padded = recallAtK({ ...input, k: 2, truth: { ids: [0, 1], stride: 2 }, found: { ids: [1, -1], stride: 2 } });
    expect(padded.tieAware).toBe(0.5);
  });

  it('reads rows at the given stride', () => {
    const r = recallAtK({ ...input, truth: { ids: [0, 3, 3], stride: 3 }, found: { ids: [1, 2], stride: 2 } });
    expect(r.tieAware).toBe(1);
  });
});
