import { describe, expect, it } from 'vitest';
import { Arena } from '../arena.js';
import { SeededRandom } from '../random.js';
import { wasmAvailable } from './select.js';
import { createJsTransformKernels, transformCalibrationBytes, transformScratchBytes, type TransformKernels } from './transform-kernels.js';
import { createWasmKernels } from './wasm-kernels.js';

const f32 = Math.fround;

// The specification, written plainly: radix-2 stages one at a time, every coordinate on its own.

function referenceNorm(x: Float32Array): number {
  const chains = new Float32Array(8);
  for (let j = 0; j < x.length; j++) chains[j % 8] = chains[j % 8]! + f32(x[j]! * x[j]!);
  const c = chains;
  return f32(Math.sqrt(f32(f32(f32(c[0]! + c[1]!) + f32(c[2]! + c[3]!)) + f32(f32(c[4]! + c[5]!) + f32(c[6]! + c[7]!)))));
}

function referenceInverseNorm(x: Float32Array): number {
  const norm = referenceNorm(x);
  return norm > f32(1e-10) ? f32(1 / norm) : 0;
}

interface Rotation {
  readonly dim: number;
  readonly block: number;
  readonly perms: Int32Array[];
  readonly signs: Float32Array[];
}

function referenceRotate(rotation: Rotation, x: Float32Array, inv: number): Float32Array {
  const { dim, block } = rotation;
  const scale = f32(1 / f32(Math.sqrt(block)));
  let current = x;
  rotation.perms.forEach((perm, r) => {
    const y = new Float32Array(dim);
    for (let i = 0; i < dim; i++) y[i] = f32(current[perm[i]!]! * (r === 0 ? inv : 1)) * rotation.signs[r]![i]!;
    for (let len = 1; len < block; len *= 2) {
      const s = len * 2 === block ? scale : 1;
      for (let j = 0; j < dim; j++) {
        if (j & len) continue;
        const a = y[j]!;
        const b = y[j + len]!;
        y[j] = f32(a + b) * s;
        y[j + len] = f32(a - b) * s;
      }
    }
    current = y;
  });
  return current;
}

interface Calibration {
  readonly shift: Float32Array;
  readonly scale: Float32Array;
}

function referenceEncode(rotation: Rotation, x: Float32Array, bits: number, boundaries: Float32Array, centroids: Float32Array, calibration?: Calibration) {
  const { dim } = rotation;
  const norm = referenceNorm(x);
  const u = referenceRotate(rotation, x, referenceInverseNorm(x));
  const codes = new Uint8Array(dim);
  const chains = [0, 0, 0, 0];
  for (let d = 0; d < dim; d++) {
    const value = calibration ? f32(f32(u[d]! + calibration.shift[d]!) * calibration.scale[d]!) : u[d]!;
    codes[d] = boundaries.filter((b) => b < value).length;
    const reconstruction = calibration
      ? centroids[codes[d]!]! * f32(1 / calibration.scale[d]!) - calibration.shift[d]!
      : centroids[codes[d]!]!;
    chains[d % 4] += u[d]! * reconstruction;
  }
  const packed = new Uint8Array((bits * dim) / 8);
  for (let p = 0; p < bits; p++) {
    for (let d = 0; d < dim; d++) packed[(p * dim) / 8 + (d >> 3)]! |= ((codes[d]! >> p) & 1) << (7 - (d & 7));
  }
  const inner = chains[0]! + chains[1]! + (chains[2]! + chains[3]!);
  return { packed, scale: inner > 0.1 ? f32(norm / f32(inner)) : 0 };
}

function randomRotation(dim: number, block: number, rounds: number, random: SeededRandom): Rotation {
  const perms: Int32Array[] = [];
  const signs: Float32Array[] = [];
  for (let r = 0; r < rounds; r++) {
    const perm = Int32Array.from({ length: dim }, (_, i) => i);
    for (let i = dim - 1; i > 0; i--) {
      const j = random.nextInt(i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    perms.push(perm);
    signs.push(Float32Array.from({ length: dim }, () => (random.nextFloat() < 0.5 ? -1 : 1)));
  }
  return { dim, block, perms, signs };
}

const bitsOf = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

/** Lays a rotation, rows and scratch out in `arena`; returns pointers and a function to read float32 results. */
function place(arena: Arena, rotation: Rotation, rows: Float32Array) {
  const { dim } = rotation;
  const rounds = rotation.perms.length;
  const tables = arena.alloc(rounds * 8 * dim).ptr;
  rotation.perms.forEach((perm, r) => {
    arena.i32(tables + r * 8 * dim, dim).set(perm);
    arena.f32(tables + r * 8 * dim + 4 * dim, dim).set(rotation.signs[r]!);
  });
  const src = arena.alloc(rows.byteLength).ptr;
  arena.f32(src, rows.length).set(rows);
  return { tables, src, rounds, scratch: arena.alloc(transformScratchBytes(dim)).ptr };
}

function backends(arena: Arena): [string, TransformKernels][] {
  const list: [string, TransformKernels][] = [['js', createJsTransformKernels(arena)]];
  if (wasmAvailable()) list.push(['wasm', createWasmKernels(arena)]);
  return list;
}

function gaussianRows(n: number, dim: number, random: SeededRandom): Float32Array {
  return random.fillGaussian(new Float32Array(n * dim)) as Float32Array;
}

const SHAPES: [dim: number, block: number][] = [
  [8, 8], [16, 16], [16, 8], [24, 8], [32, 32], [64, 64], [64, 16], [128, 128], [200, 8], [256, 256],
  [1000, 8], [1536, 512], [2048, 2048], [4096, 4096], [16384, 16384],
];

describe('transform kernels: hadamardRotateRows', () => {
  it('equals the plain radix-2 rotation bit for bit, with and without normalization, on both backends', () => {
    const arena = new Arena();
    const random = new SeededRandom(7);
    for (const [dim, block] of SHAPES) {
      for (const rounds of [1, 2, 3]) {
        const rotation = randomRotation(dim, block, rounds, random);
        const n = dim >= 4096 ? 1 : 3;
        const rows = gaussianRows(n, dim, random);
        rows.fill(0, 0, Math.min(dim, 5)); // a few zeros, and (below) a row of zeros
        if (n > 1) rows.fill(0, dim, 2 * dim);
        const { tables, src, scratch } = place(arena, rotation, rows);
        const dst = arena.alloc(rows.byteLength).ptr;
        for (const normalize of [false, true]) {
          const expected: number[] = [];
          for (let i = 0; i < n; i++) {
            const row = rows.subarray(i * dim, (i + 1) * dim);
            expected.push(...bitsOf(referenceRotate(rotation, row, normalize ? referenceInverseNorm(row) : 1)));
          }
          for (const [name, kernels] of backends(arena)) {
            arena.f32(dst, rows.length).fill(Number.NaN);
            kernels.hadamardRotateRows(src, n, dim, block, rounds, tables, normalize, dst, scratch);
            expect(bitsOf(arena.f32(dst, rows.length)), `${name} dim=${dim} block=${block} rounds=${rounds} normalize=${normalize}`).toEqual(expected);
          }
        }
      }
    }
  });
});

describe('transform kernels: turboQuantEncodeRows', () => {
  function encodeCase(dim: number, block: number, bits: number, rows: Float32Array, random: SeededRandom, options: { boundaries?: Float32Array; calibrated?: boolean; calibration?: Calibration } = {}) {
    const arena = new Arena();
    const rotation = randomRotation(dim, block, 2, random);
    const levels = 1 << bits;
    const boundaries =
      options.boundaries ?? Float32Array.from({ length: levels - 1 }, () => random.nextGaussian() / Math.sqrt(dim)).sort();
    const centroids = Float32Array.from({ length: levels }, () => random.nextGaussian() / Math.sqrt(dim));
    let calibration = options.calibration;
    if (options.calibrated && !calibration) {
      calibration = {
        shift: Float32Array.from({ length: dim }, () => random.nextGaussian() * 0.01),
        scale: Float32Array.from({ length: dim }, () => f32(0.5 + random.nextFloat())),
      };
    }
    const n = rows.length / dim;
    const { tables, src, scratch } = place(arena, rotation, rows);
    const boundaryPtr = arena.alloc(boundaries.byteLength).ptr;
    arena.f32(boundaryPtr, boundaries.length).set(boundaries);
    const centroidPtr = arena.alloc(8 * levels).ptr;
    arena.f64(centroidPtr, levels).set(centroids);
    let calibrationPtr = 0;
    if (calibration) {
      calibrationPtr = arena.alloc(transformCalibrationBytes(dim)).ptr;
      arena.f32(calibrationPtr, dim).set(calibration.shift);
      arena.f32(calibrationPtr + 4 * dim, dim).set(calibration.scale);
      arena.f64(calibrationPtr + 8 * dim, dim).set(calibration.shift);
      arena.f64(calibrationPtr + 16 * dim, dim).set(calibration.scale.map((s) => f32(1 / s)));
    }
    const codeBytes = (bits * dim) / 8;
    const codes = arena.alloc(n * codeBytes).ptr;
    const scales = arena.alloc(4 * n).ptr;
    const expectedCodes = new Uint8Array(n * codeBytes);
    const expectedScales = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const { packed, scale } = referenceEncode(rotation, rows.subarray(i * dim, (i + 1) * dim), bits, boundaries, centroids, calibration);
      expectedCodes.set(packed, i * codeBytes);
      expectedScales[i] = scale;
    }
    for (const [name, kernels] of backends(arena)) {
      arena.u8(codes, n * codeBytes).fill(0xa5);
      arena.f32(scales, n).fill(Number.NaN);
      const firstInvalid = kernels.turboQuantEncodeRows(src, n, dim, block, 2, tables, bits, boundaryPtr, centroidPtr, calibrationPtr, codes, scales, scratch);
      const label = `${name} dim=${dim} bits=${bits} calibrated=${calibration !== undefined}`;
      expect(arena.u8(codes, n * codeBytes), label).toEqual(expectedCodes);
      expect(bitsOf(arena.f32(scales, n)), label).toEqual(bitsOf(expectedScales));
      expect(firstInvalid, label).toBe(n);
    }
    return expectedScales;
  }

  it('equals the plain encoder for every bit width, calibrated or not, on both backends', () => {
    const random = new SeededRandom(11);
    for (const [dim, block] of [[8, 8], [24, 8], [64, 64], [200, 8], [1536, 512], [16384, 16384]] as const) {
      for (const bits of [1, 2, 3, 4, 8]) {
        for (const calibrated of [false, true]) encodeCase(dim, block, bits, gaussianRows(dim > 4096 ? 1 : 4, dim, random), random, { calibrated });
      }
    }
  });

  it('counts only boundaries strictly below a value, including values equal to a boundary', () => {
    const random = new SeededRandom(12);
    const dim = 64;
    const rows = gaussianRows(1, dim, random);
    // With shift 0 and scale 1 the coded values are the rotated row itself; put boundaries on them.
    const identity = { shift: new Float32Array(dim), scale: new Float32Array(dim).fill(1) };
    const rotation = randomRotation(dim, dim, 2, new SeededRandom(99)); // the rotation encodeCase draws first
    const u = referenceRotate(rotation, rows, referenceInverseNorm(rows));
    const picked = Array.from(u).sort((a, b) => a - b);
    for (const bits of [2, 4, 8]) {
      const count = (1 << bits) - 1;
      const boundaries = Float32Array.from({ length: count }, (_, k) => picked[Math.floor((k * dim) / (count + 1))]!).sort();
      encodeCase(dim, dim, bits, rows, new SeededRandom(99), { boundaries, calibration: identity });
    }
  });

  it('reports the first row with a NaN, infinite or too large value (|v| >= f32(1e16))', () => {
    const dim = 16;
    const arena = new Arena();
    const rotation = randomRotation(dim, dim, 2, new SeededRandom(5));
    const boundaries = arena.alloc(64).ptr;
    arena.f32(boundaries, 3).set([-0.1, 0, 0.1]);
    const centroids = arena.alloc(64).ptr;
    arena.f64(centroids, 4).set([-0.2, -0.05, 0.05, 0.2]);
    const largestValid = new Float32Array(new Uint32Array([new Uint32Array(new Float32Array([1e16]).buffer)[0]! - 1]).buffer)[0]!;
    for (const [bad, expected] of [[Number.NaN, 2], [Infinity, 2], [-Infinity, 2], [f32(1e16), 2], [-f32(1e16), 2], [largestValid, 4], [-largestValid, 4]] as const) {
      const rows = gaussianRows(4, dim, new SeededRandom(6));
      rows[2 * dim + 5] = bad;
      rows[3 * dim] = Number.NaN;
      if (expected === 4) rows[3 * dim] = 1;
      const { tables, src, scratch } = place(arena, rotation, rows);
      const codes = arena.alloc(4 * 4).ptr;
      const scales = arena.alloc(16).ptr;
      for (const [name, kernels] of backends(arena)) {
        expect(kernels.turboQuantEncodeRows(src, 4, dim, dim, 2, tables, 2, boundaries, centroids, 0, codes, scales, scratch), `${name} ${bad}`).toBe(expected);
      }
    }
  });

  it('gives scale 0 to zero and near-zero rows, and codes values that overflow to infinity', () => {
    const random = new SeededRandom(13);
    const dim = 32;
    const rows = gaussianRows(3, dim, random);
    rows.fill(0, 0, dim);
    rows.fill(1e-12, dim, 2 * dim);
    const huge = { shift: new Float32Array(dim).fill(1e15), scale: new Float32Array(dim).fill(3e38) };
    const scales = encodeCase(dim, dim, 4, rows, random, { calibration: huge });
    expect(scales[0]).toBe(0);
    expect(scales[1]).toBe(0);
    expect(Array.from(encodeCase(dim, dim, 2, rows, random)).slice(0, 2)).toEqual([0, 0]);
  });
});
