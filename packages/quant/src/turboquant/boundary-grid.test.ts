import { describe, expect, it } from 'vitest';
import { BoundaryGrid } from './boundary-grid.js';
import { lloydMaxCodebook } from './codebook.js';

function countBelow(boundaries: Float32Array, x: number): number {
  let k = 0;
  while (k < boundaries.length && boundaries[k]! < x) k++;
  return k;
}

describe('BoundaryGrid', () => {
  it('gives the number of boundaries strictly below x, including at and around every boundary', () => {
    for (const [bits, dim] of [[1, 64], [2, 200], [3, 1024], [4, 1536], [8, 768]] as const) {
      const { boundaries } = lloydMaxCodebook(bits, dim);
      const values: number[] = [-1, 1, 0, -0, 1e-30, -1e-30];
      for (const b of boundaries) {
        const bits32 = new Uint32Array(new Float32Array([b]).buffer)[0]!;
        for (const delta of [-2, -1, 0, 1, 2]) values.push(new Float32Array(new Uint32Array([bits32 + delta]).buffer)[0]!);
      }
      for (let i = 0; i < 2000; i++) values.push(Math.fround(Math.sin(i * 12.9898) * 0.2));
      const input = Float32Array.from(values);
      const codes = new Uint8Array(input.length);
      new BoundaryGrid(boundaries).codesOf(input, codes, input.length);
      for (let i = 0; i < input.length; i++) expect(codes[i], `bits=${bits} x=${input[i]}`).toBe(countBelow(boundaries, input[i]!));
    }
  });
});
