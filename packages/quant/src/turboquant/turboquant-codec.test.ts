import { describe, expect, it } from 'vitest';
import { Arena, SeededRandom, createKernels, wasmAvailable } from '@quiver/core-math';
import { turbovecCellSeed, turbovecLcgVectors } from '@quiver/io-formats';
import { TurboQuantCodec, type TurboQuantBitWidth } from './turboquant-codec.js';

function gaussianRows(n: number, dim: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = random.nextGaussian();
  return out;
}

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[ai * dim + d]! * b[bi * dim + d]!;
  return s;
}

/** Fraction of queries whose exact top-1 neighbour is in the estimator's top `k`. */
function recallAt(codec: TurboQuantCodec, data: Float32Array, queries: Float32Array, k: number): number {
  const { codes, scales } = codec.encode(data);
  const n = scales.length;
  const nq = queries.length / codec.dim;
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      const s = dot(data, i, queries, q, codec.dim);
      if (s > bestScore) [best, bestScore] = [i, s];
    }
    const prepared = codec.prepareQueryWithBias(queries.subarray(q * codec.dim, (q + 1) * codec.dim));
    const estimates = Array.from({ length: n }, (_, i) => codec.score(codes, scales, i, prepared));
    const rank = estimates.filter((e) => e > estimates[best]!).length;
    if (rank < k) hits++;
  }
  return hits / nq;
}

describe('TurboQuantCodec validation', () => {
  it('rejects bad dimensions and bit widths with typed errors', () => {
    for (const dim of [0, -8, 1.5, Number.NaN, 16385]) {
      expect(() => new TurboQuantCodec({ dim, bitWidth: 4 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    for (const bitWidth of [0, 5, 6, 7, 9, 2.5]) {
      expect(() => new TurboQuantCodec({ dim: 16, bitWidth: bitWidth as TurboQuantBitWidth })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'bitWidth' }),
      );
    }
    expect(new TurboQuantCodec({ dim: 16384, bitWidth: 2 }).paddedDim).toBe(16384);
  });

  it('rejects empty, ragged, non-finite and oversized input', () => {
    const codec = new TurboQuantCodec({ dim: 16, bitWidth: 2 });
    expect(() => codec.encode(new Float32Array(0))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => codec.encode(new Float32Array(17))).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    for (const bad of [Number.NaN, Infinity, -Infinity, 1e17]) {
      const v = new Float32Array(32).fill(0.5);
      v[20] = bad;
      expect(() => codec.encode(v)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => codec.fitCalibration(v)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => codec.prepareQuery(v.subarray(16))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => codec.encode([1, 2] as unknown as Float32Array)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => codec.prepareQuery(new Float32Array(32))).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    expect(() => codec.fitCalibration(new Float32Array(16))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => codec.unpackRow(new Uint8Array(4), 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => codec.encodeInto(new Float32Array(16), new Uint8Array(3), 0, new Float32Array(1), 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'codes' }),
    );
  });

  it('names the row and column of a bad value deep in a batch (checked while encoding)', () => {
    for (const backend of wasmAvailable() ? (['js', 'wasm'] as const) : (['js'] as const)) {
      const codec = new TurboQuantCodec({ dim: 16, bitWidth: 4, kernels: createKernels(new Arena(), backend) });
      const rows = gaussianRows(1000, 16, 4);
      rows[700 * 16 + 3] = -1e16;
      expect(() => codec.encode(rows)).toThrow(/row 700, column 3/);
      rows[700 * 16 + 3] = Math.fround(9.99e15); // below the cap: accepted
      expect(codec.encode(rows).scales.length).toBe(1000);
    }
  });

  it('rejects an unusable imported calibration', () => {
    const codec = new TurboQuantCodec({ dim: 16, bitWidth: 4 });
    const shift = new Float32Array(16);
    const scale = new Float32Array(16).fill(1);
    expect(() => (codec.calibration = { shift: shift.subarray(1), scale })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    for (const bad of [0, -1, Number.NaN, Infinity, 1e-45]) {
      const s = scale.slice();
      s[3] = bad;
      expect(() => (codec.calibration = { shift, scale: s })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    const sh = shift.slice();
    sh[2] = Number.NaN;
    expect(() => (codec.calibration = { shift: sh, scale })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(codec.calibration).toBeUndefined();
  });
});

describe('TurboQuantCodec behaviour', () => {
  it('encodes, rotates and prepares queries identically on the WebAssembly and TypeScript kernels', () => {
    if (!wasmAvailable()) return;
    for (const [dim, bitWidth] of [[100, 1], [100, 8], [200, 3], [1536, 4]] as const) {
      const [js, wasm] = (['js', 'wasm'] as const).map((backend) => new TurboQuantCodec({ dim, bitWidth, kernels: createKernels(new Arena(), backend) }));
      const data = gaussianRows(40, dim, dim + bitWidth);
      expect(wasm.encode(data)).toEqual(js.encode(data));
      wasm.calibration = js.fitCalibration(data);
      expect(wasm.fitCalibration(data)).toEqual(js.calibration);
      expect(wasm.encode(data)).toEqual(js.encode(data));
      expect(wasm.rotate(data)).toEqual(js.rotate(data));
      expect(wasm.prepareQueryWithBias(data.subarray(0, dim))).toEqual(js.prepareQueryWithBias(data.subarray(0, dim)));
    }
  });

  it('stores scale 0 for a zero vector and encodes it without NaN', () => {
    const codec = new TurboQuantCodec({ dim: 64, bitWidth: 4 });
    const { scales } = codec.encode(new Float32Array(64));
    expect(scales[0]).toBe(0);
  });

  it('packs codes as turbovec bit planes and unpacks them back', () => {
    const codec = new TurboQuantCodec({ dim: 24, bitWidth: 3 });
    const data = gaussianRows(5, 24, 3);
    const { codes } = codec.encode(data);
    expect(codes.length).toBe(5 * 9);
    const row = codec.unpackRow(codes, 2);
    expect(row.length).toBe(24);
    // Plane p, byte c, bit 7-k is bit p of coordinate 8c+k.
    for (let d = 0; d < 24; d++) {
      for (let p = 0; p < 3; p++) {
        const byte = codes[2 * 9 + p * 3 + (d >> 3)]!;
        expect((byte >> (7 - (d & 7))) & 1).toBe((row[d]! >> p) & 1);
      }
    }
  });

  it('encode is per row: a batch equals the rows encoded one at a time', () => {
    const codec = new TurboQuantCodec({ dim: 200, bitWidth: 2 });
    const data = turbovecLcgVectors(30, 200, turbovecCellSeed(200, 2));
    codec.fitCalibration(data);
    const batch = codec.encode(data);
    for (let i = 0; i < 30; i++) {
      const one = codec.encode(data.subarray(i * 200, (i + 1) * 200));
      expect(one.codes).toEqual(batch.codes.subarray(i * codec.bytesPerRow, (i + 1) * codec.bytesPerRow));
      expect(one.scales[0]).toBe(batch.scales[i]);
    }
    const arena = new Uint8Array(7 + 30 * codec.bytesPerRow);
    const arenaScales = new Float32Array(31);
    codec.encodeInto(data, arena, 7, arenaScales, 1);
    expect(arena.subarray(7)).toEqual(batch.codes);
    expect(arenaScales.subarray(1)).toEqual(batch.scales);
  });

  it('calibration export and import give identical codes (separate shards score alike)', () => {
    const data = gaussianRows(1200, 96, 11);
    const a = new TurboQuantCodec({ dim: 96, bitWidth: 4 });
    const exported = a.fitCalibration(data.subarray(0, 1000 * 96));
    const json = JSON.stringify({ shift: Array.from(exported.shift), scale: Array.from(exported.scale) });
    const parsed = JSON.parse(json) as { shift: number[]; scale: number[] };
    const b = new TurboQuantCodec({ dim: 96, bitWidth: 4 });
    b.calibration = { shift: Float32Array.from(parsed.shift), scale: Float32Array.from(parsed.scale) };
    const rest = data.subarray(1000 * 96);
    expect(b.encode(rest)).toEqual(a.encode(rest));
    expect(b.prepareQueryWithBias(rest.subarray(0, 96))).toEqual(a.prepareQueryWithBias(rest.subarray(0, 96)));
    // The codec keeps its own copy: mutating the exported arrays changes nothing.
    exported.shift.fill(5);
    expect(b.encode(rest)).toEqual(a.encode(rest));
    // And clearing the calibration returns to plain TurboQuant.
    a.calibration = undefined;
    expect(a.encode(rest)).toEqual(new TurboQuantCodec({ dim: 96, bitWidth: 4 }).encode(rest));
  });

  it('the score estimates the inner product, and decode(encode(x)) is close to x', () => {
    const dim = 128;
    const data = gaussianRows(50, dim, 5);
    for (const bitWidth of [2, 4, 8] as const) {
      const codec = new TurboQuantCodec({ dim, bitWidth });
      codec.fitCalibration(gaussianRows(1000, dim, 6));
      const { codes, scales } = codec.encode(data);
      const decoded = codec.decode(codes, scales);
      let err = 0;
      let norm = 0;
      for (let i = 0; i < data.length; i++) {
        err += (decoded[i]! - data[i]!) ** 2;
        norm += data[i]! ** 2;
      }
      // Relative reconstruction error shrinks with the bit width (Lloyd-Max MSE ≈ 0.117, 0.009, ~0).
      const limit = { 2: 0.45, 4: 0.15, 8: 0.02 }[bitWidth];
      expect(Math.sqrt(err / norm), `bits=${bitWidth}`).toBeLessThan(limit);
      // The score is the inner product with the reconstruction.
      const q = data.subarray(0, dim);
      const prepared = codec.prepareQueryWithBias(q);
      for (let i = 0; i < 5; i++) {
        expect(codec.score(codes, scales, i, prepared)).toBeCloseTo(dot(decoded, i, data, 0, dim), 2);
      }
    }
  });

  it('ranks the exact nearest neighbour near the top (recall-style check)', () => {
    const dim = 64;
    const data = gaussianRows(400, dim, 21);
    const queries = gaussianRows(20, dim, 22);
    for (let i = 0; i < 20; i++) {
      // Queries near stored rows, so the top-1 is meaningful.
      for (let d = 0; d < dim; d++) queries[i * dim + d] = data[(i * 7) * dim + d]! + 0.3 * queries[i * dim + d]!;
    }
    expect(recallAt(new TurboQuantCodec({ dim, bitWidth: 4 }), data, queries, 1)).toBeGreaterThanOrEqual(0.9);
    expect(recallAt(new TurboQuantCodec({ dim, bitWidth: 2 }), data, queries, 5)).toBeGreaterThanOrEqual(0.9);
    expect(recallAt(new TurboQuantCodec({ dim, bitWidth: 1 }), data, queries, 20)).toBeGreaterThanOrEqual(0.8);
  });

  it('pads other dimensions with zeros: same codes as the padded vectors, same inner products', () => {
    const dim = 100;
    const data = gaussianRows(40, dim, 8);
    const padded = new Float32Array(40 * 104);
    for (let i = 0; i < 40; i++) padded.set(data.subarray(i * dim, (i + 1) * dim), i * 104);
    const odd = new TurboQuantCodec({ dim, bitWidth: 3 });
    const even = new TurboQuantCodec({ dim: 104, bitWidth: 3 });
    expect(odd.paddedDim).toBe(104);
    expect(odd.bytesPerRow).toBe(39);
    odd.fitCalibration(data);
    even.calibration = odd.calibration;
    expect(odd.encode(data)).toEqual(even.encode(padded));
    expect(odd.rotate(data.subarray(0, dim))).toEqual(even.rotate(padded.subarray(0, 104)));
    const { codes, scales } = odd.encode(data);
    expect(odd.decode(codes, scales).length).toBe(40 * dim);
  });

  it('rotate preserves inner products', () => {
    const codec = new TurboQuantCodec({ dim: 200, bitWidth: 2 });
    const data = gaussianRows(2, 200, 9);
    const rotated = codec.rotate(data);
    expect(dot(rotated, 0, rotated, 1, 200)).toBeCloseTo(dot(data, 0, data, 1, 200), 3);
  });
});
