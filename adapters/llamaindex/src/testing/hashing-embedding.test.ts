import { similarity } from '@llamaindex/core/embeddings';
import { describe, expect, it } from 'vitest';
import { HashingEmbedding } from './hashing-embedding.js';

describe('HashingEmbedding', () => {
  const model = new HashingEmbedding({ dim: 64 });

  it('is deterministic, unit length and of the configured size', async () => {
    const a = await model.getTextEmbedding('Honey bees dance to show where flowers are.');
    expect(a).toHaveLength(64);
    expect(await new HashingEmbedding({ dim: 64 }).getTextEmbedding('Honey bees dance to show where flowers are.')).toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 12);
    expect(Math.hypot(...model.embed(''))).toBeCloseTo(1, 12);
  });

  it('scores texts sharing words above unrelated ones, ignoring case, stop words and plurals', () => {
    const model = new HashingEmbedding({ dim: 256 });
    const query = model.embed('Why do BEES dance?');
    const related = model.embed('The dance of the bee shows the way to the flowers');
    const unrelated = model.embed('Volcanic ash makes fertile soil');
    expect(similarity(query, related)).toBeGreaterThan(0.5);
    expect(similarity(query, unrelated)).toBeLessThan(0.2);
    expect(model.embed('the bees')).toEqual(model.embed('bee'));
  });

  it('rejects a bad dimension', () => {
    expect(() => new HashingEmbedding({ dim: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
