import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { corruptReason } from '../test/helpers.js';
import { encodeBvecs, encodeFvecs, encodeIvecs, parseBvecs, parseFvecs, parseIvecs } from './vecs.js';

const SIFT = join(import.meta.dirname, '../../../../shared/datasets/siftsmall');

describe('fvecs / ivecs / bvecs', () => {
  it('round-trips each kind', () => {
    const f = Float32Array.from([1, 2, 3, -4.5, 5, 6]);
    expect(parseFvecs(encodeFvecs(f, 3))).toEqual({ data: f, dim: 3, count: 2 });
    const i = Int32Array.from([-1, 2 ** 31 - 1]);
    expect(parseIvecs(encodeIvecs(i, 1))).toEqual({ data: i, dim: 1, count: 2 });
    const b = Uint8Array.from([0, 255, 7, 8]);
    expect(parseBvecs(encodeBvecs(b, 4))).toEqual({ data: b, dim: 4, count: 1 });
    expect(parseFvecs(new Uint8Array(0))).toEqual({ data: new Float32Array(0), dim: 0, count: 0 });
  });

  it('lays rows out as int32 dim + values', () => {
    const bytes = encodeIvecs(Int32Array.from([7, 8]), 2);
    expect(Array.from(new Int32Array(bytes.buffer))).toEqual([2, 7, 8]);
  });

  it('refuses inconsistent or impossible files', () => {
    const good = encodeFvecs(new Float32Array(6), 3);
    expect(corruptReason(() => parseFvecs(good.subarray(0, good.length - 4)))).toBe('truncated');
    const badRow = good.slice();
    badRow[16] = 4; // second row's prefix
    expect(corruptReason(() => parseFvecs(badRow))).toBe('header');
    const negative = good.slice();
    negative[3] = 0x80;
    expect(corruptReason(() => parseFvecs(negative))).toBe('header');
    const huge = good.slice();
    huge[2] = 0x7f;
    expect(corruptReason(() => parseFvecs(huge))).toBe('header');
    expect(corruptReason(() => parseIvecs(new Uint8Array(3)))).toBe('truncated');
  });

  it('validates writer input', () => {
    expect(() => encodeFvecs(new Float32Array(5), 2)).toThrow(InvalidArgumentError);
    expect(() => encodeFvecs(new Float32Array(4), 0)).toThrow(InvalidArgumentError);
    expect(() => encodeFvecs(new Float64Array(4) as never, 2)).toThrow(InvalidArgumentError);
    expect(() => encodeBvecs(new Int8Array(4) as never, 2)).toThrow(InvalidArgumentError);
  });

  it.skipIf(!existsSync(SIFT))('reads the siftsmall dataset', () => {
    const base = parseFvecs(new Uint8Array(readFileSync(join(SIFT, 'siftsmall_base.fvecs'))));
    expect([base.count, base.dim]).toEqual([10_000, 128]);
    const truth = parseIvecs(new Uint8Array(readFileSync(join(SIFT, 'siftsmall_groundtruth.ivecs'))));
    expect([truth.count, truth.dim]).toEqual([100, 100]);
    expect(Math.max(...truth.data)).toBeLessThan(10_000);
  });
});
