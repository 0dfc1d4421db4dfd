import { SeededRandom } from '@quiver/core-math';
import { getTopKMMREmbeddings, similarity } from '@llamaindex/core/embeddings';
import { describe, expect, it } from 'vitest';
import { selectMaximalMarginalRelevance } from './mmr.js';

function randomVectors(random: SeededRandom, n: number, dim: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => Math.fround(random.nextGaussian())));
}

describe('selectMaximalMarginalRelevance', () => {
  it.each([0.5, 0.2, 0.9])("picks LlamaIndex's getTopKMMREmbeddings ids and scores (threshold %s)", (threshold) => {
    const random = new SeededRandom(7);
    const vectors = randomVectors(random, 40, 8);
    const query = randomVectors(random, 1, 8)[0]!;
    const ids = vectors.map((_, i) => `n${i}`);
    const [expectedScores, expectedIds] = getTopKMMREmbeddings(query, vectors, null, 6, ids, null, threshold);

    const candidates = vectors.map((v) => ({ similarity: similarity(query, v), vector: Float32Array.from(v) }));
    const cosine = (a: Float32Array, b: Float32Array) => similarity(Array.from(a), Array.from(b));
    const picks = selectMaximalMarginalRelevance(candidates, 6, threshold, cosine);

    expect(picks.map((p) => ids[p.index])).toEqual(expectedIds);
    picks.forEach((pick, i) => expect(pick.score).toBeCloseTo(expectedScores[i]!, 6));
  });

  it('returns at most the candidates there are, and nothing for no candidates', () => {
    const candidates = [{ similarity: 0.5, vector: Float32Array.of(1, 0) }, { similarity: 0.9, vector: Float32Array.of(0, 1) }];
    const dot = (a: Float32Array, b: Float32Array) => a[0]! * b[0]! + a[1]! * b[1]!;
    expect(selectMaximalMarginalRelevance(candidates, 5, 0.5, dot).map((p) => p.index)).toEqual([1, 0]);
    expect(selectMaximalMarginalRelevance([], 5, 0.5, dot)).toEqual([]);
  });

  it('with threshold 1 ranks by relevance alone', () => {
    const random = new SeededRandom(3);
    const vectors = randomVectors(random, 20, 4).map((v) => Float32Array.from(v));
    const candidates = vectors.map((vector, i) => ({ similarity: 1 - i / 20, vector }));
    const picks = selectMaximalMarginalRelevance(candidates, 5, 1, () => 1);
    expect(picks.map((p) => p.index)).toEqual([0, 1, 2, 3, 4]);
  });
});
