import { InvalidArgumentError } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { frameworkScore, metricOfSimilarity, similarityOfMetric } from './similarity-names.js';

describe('similarity names', () => {
  it('map to store metrics and back', () => {
    for (const name of ['cosine', 'dot', 'euclidean'] as const) expect(similarityOfMetric(metricOfSimilarity(name, 'test'))).toBe(name);
    expect(metricOfSimilarity('euclidean', 'test')).toBe('l2');
  });

  it('refuse anything else, naming the caller', () => {
    for (const bad of ['l2', 'Cosine', '', undefined, 3, 'toString']) {
      expect(() => metricOfSimilarity(bad, '@quiver/x')).toThrow(InvalidArgumentError);
    }
    expect(() => metricOfSimilarity('l2', '@quiver/x')).toThrow(/\[@quiver\/x\]/);
  });

  it('report l2 as the negated distance and other scores unchanged', () => {
    expect(frameworkScore('l2', -0.25)).toBe(-0.5);
    expect(frameworkScore('l2', 1e-9)).toBe(-0); // rounding above zero is clamped
    expect(frameworkScore('cosine', 0.75)).toBe(0.75);
    expect(frameworkScore('dot', -3)).toBe(-3);
  });
});
