import { InvalidArgumentError, SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { ScalarCodebook, packSignBits } from './scalar-codes.js';

describe('packSignBits', () => {
  it('packs x >= 0 as 1, most significant bit first, like numpy.packbits', () => {
    const out = new Uint8Array(4);
    packSignBits(new Float32Array([1, -1, 0, -0, -2, 3, 4, -5, 6, /* row 2 */ -1, -1, -1, -1, -1, -1, -1, -1, -1]), 9, out);
    expect(Array.from(out)).toEqual([0b10110110, 0b10000000, 0, 0]);
  });
});

describe('ScalarCodebook', () => {
  const dim = 16;
  const rng = new SeededRandom(4);
  const rows = new Float32Array(2000 * dim);
  rng.fillGaussian(rows);
  for (let i = 0; i < rows.length; i++) rows[i] = rows[i]! * (1 + (i % dim)) + (i % dim); // per-dimension scale and offset

  it.each([2, 4, 8])('%i-bit codes stay in range and decode close to the rows', (bits) => {
    const book = ScalarCodebook.fit(rows, dim, bits);
    const codes = new Int8Array(rows.length);
    book.encode(rows, codes);
    const half = 2 ** (bits - 1);
    expect(codes.every((c) => c >= -half && c < half)).toBe(true);
    const decoded = book.decode(codes);
    let error = 0;
    let energy = 0;
    for (let i = 0; i < rows.length; i++) {
      const centred = rows[i]! - (i % dim);
      error += (decoded[i]! - rows[i]!) ** 2;
      energy += centred * centred;
    }
    // Relative error of a good uniform quantizer of a Gaussian: ~0.12 at 2 bits, ~0.01 at 4, <1e-4 at 8.
    expect(error / energy).toBeLessThan(bits === 2 ? 0.15 : bits === 4 ? 0.015 : 1e-4);
  });

  it('turns the integer dot product back into an approximate float dot product', () => {
    const book = ScalarCodebook.fit(rows, dim, 8);
    const codes = new Int8Array(dim);
    book.encode(rows.subarray(0, dim), codes);
    const query = new Float32Array(dim).map((_, j) => Math.sin(j));
    const queryCodes = new Int8Array(dim);
    const { scale, bias } = book.encodeQuery(query, 0, queryCodes, 0);
    let intDot = 0;
    let floatDot = 0;
    for (let j = 0; j < dim; j++) {
      intDot += queryCodes[j]! * codes[j]!;
      floatDot += query[j]! * rows[j]!;
    }
    expect(intDot * scale + bias).toBeCloseTo(floatDot, 0);
    expect(Math.abs(intDot * scale + bias - floatDot)).toBeLessThan(0.02 * Math.abs(floatDot) + 0.5);
  });

  it('handles constant dimensions and clamps values outside the fitted range', () => {
    const book = ScalarCodebook.fit(new Float32Array([1, 5, 1, 7]), 2, 4);
    expect(book.step[0]).toBe(0);
    const codes = new Int8Array(4);
    book.encode(new Float32Array([1, 100, 1, -100]), codes);
    expect(Array.from(codes)).toEqual([0, 7, 0, -8]);
    expect(Array.from(book.decode(codes))).toEqual([1, 7, 1, 5]);
  });

  it('rejects an invalid grid', () => {
    expect(() => new ScalarCodebook(9, new Float32Array(1), new Float32Array(1))).toThrow(InvalidArgumentError);
    expect(() => new ScalarCodebook(4, new Float32Array(2), new Float32Array(1))).toThrow(InvalidArgumentError);
    expect(() => new ScalarCodebook(4, new Float32Array(1), new Float32Array([-1]))).toThrow(InvalidArgumentError);
    expect(() => new ScalarCodebook(4, new Float32Array([Number.NaN]), new Float32Array([1]))).toThrow(InvalidArgumentError);
  });
});
