import { describe, expect, it } from 'vitest';
import { Arena } from '../arena.js';
import { SeededRandom } from '../random.js';
import { createJsLutKernels, lut3Positions, lutBlockBytes, lutLaneByte, lutParamStride, LUT_PARAM_HEAD, LUT_STAGE_PARAMS, lutStageCount, type LutKernels } from './lut-kernels.js';
import { wasmAvailable } from './select.js';
import { createWasmKernels } from './wasm-kernels.js';

const f32 = Math.fround;

/** Codes of `count` vectors (`positions` nibbles each, `codeBits` bits used) written into the blocked layout; returns the plain codes too. */
function storeBlocks(arena: Arena, count: number, positions: number, rnd: SeededRandom, codeBits = 4) {
  const blockCount = Math.ceil(count / 32);
  const block = arena.alloc(blockCount * lutBlockBytes(positions));
  const bytes = arena.u8(block.ptr, blockCount * lutBlockBytes(positions));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rnd.nextUint32() & 0xff; // padding lanes hold noise
  const codes = new Uint8Array(count * positions);
  for (let v = 0; v < count; v++) {
    for (let p = 0; p < positions; p++) codes[v * positions + p] = rnd.nextUint32() & ((1 << codeBits) - 1);
    const base = (v >> 5) * lutBlockBytes(positions) + lutLaneByte(v & 31);
    for (let g = 0; g < positions / 2; g++) bytes[base + g * 32] = (codes[v * positions + 2 * g]! << 4) | codes[v * positions + 2 * g + 1]!;
  }
  return { ptr: block.ptr, blockCount, codes };
}

/** Reference bit-plane packing into the arena: plane p, byte c, bit 7 - k = bit p of coordinate 8c + k. */
function packRows(arena: Arena, codes: Uint8Array, count: number, dim: number, bits: number) {
  const planeBytes = dim / 8;
  const block = arena.alloc(count * bits * planeBytes);
  const packed = arena.u8(block.ptr, count * bits * planeBytes);
  packed.fill(0);
  for (let v = 0; v < count; v++) {
    for (let d = 0; d < dim; d++) {
      for (let p = 0; p < bits; p++) {
        if ((codes[v * dim + d]! >> p) & 1) packed[(v * bits + p) * planeBytes + (d >> 3)]! |= 0x80 >> (d & 7);
      }
    }
  }
  return block;
}

/** Code of coordinate d of lane byte `at` (group 0) in the 3-bit layout, decoded from the documented bit positions. */
function threeBitCodeAt(bytes: Uint8Array, at: number, d: number): number {
  const unit = at + (d >> 3) * 96;
  const k = d & 7;
  if (k < 6) return (bytes[unit + (k >> 1) * 32]! >> (k & 1 ? 0 : 4)) & 7;
  let code = 0;
  for (let j = 0; j < 3; j++) code |= ((bytes[unit + j * 32]! >> (k === 6 ? 3 : 7)) & 1) << j;
  return code;
}

interface ScanCase {
  readonly count: number;
  readonly positions: number;
  readonly m: number;
  readonly scales: boolean;
  readonly offsets: boolean;
  readonly mask: boolean;
  readonly sigma: number;
  readonly bars: boolean;
  /** 3-bit codes (positions = coordinates, a multiple of 8), also scanned in the 3-bit layout (`outputs3`). */
  readonly threeBit?: boolean;
}

/** Runs lutScanBlocks (and lutScanBlocks3) on both backends over the same inputs; returns the outputs and the inputs. */
function runScan(c: ScanCase, seed: number, backends: LutKernels[], arena: Arena) {
  const rnd = new SeededRandom(seed);
  const { ptr: blocks, blockCount, codes } = storeBlocks(arena, c.count, c.positions, rnd, c.threeBit ? 3 : 4);
  const lutBytes = c.positions * 16;
  const luts = arena.alloc(c.m * lutBytes).ptr;
  const lutView = arena.u8(luts, c.m * lutBytes);
  for (let i = 0; i < lutView.length; i++) lutView[i] = rnd.nextUint32() % 128;
  const stride = lutParamStride(c.positions);
  const params = arena.alloc(c.m * stride * 4).ptr;
  const paramView = arena.f32(params, c.m * stride);
  for (let a = 0; a < c.m; a++) {
    paramView[a * stride] = f32(0.001 + rnd.nextFloat() * 0.01);
    paramView[a * stride + 1] = c.sigma;
    let off = 0;
    const stages = lutStageCount(c.positions);
    for (let s = 0; s < stages; s++) {
      const at = a * stride + LUT_PARAM_HEAD + LUT_STAGE_PARAMS * s;
      paramView[at] = off = f32(off - rnd.nextFloat());
      const frac = f32((s + 1) / stages);
      paramView[at + 1] = frac;
      paramView[at + 2] = f32(c.sigma * Math.sqrt(frac * (1 - frac)));
    }
  }
  const perVector = (on: boolean, fill: () => number) => {
    if (!on) return 0;
    const ptr = arena.alloc(blockCount * 32 * 4).ptr;
    const view = arena.f32(ptr, blockCount * 32);
    for (let i = 0; i < view.length; i++) view[i] = f32(fill());
    return ptr;
  };
  const scales = perVector(c.scales, () => 0.5 + rnd.nextFloat());
  const offsets = perVector(c.offsets, () => -rnd.nextFloat());
  let mask = 0;
  if (c.mask) {
    mask = arena.alloc(blockCount * 4).ptr;
    const words = arena.u32(mask, blockCount);
    for (let b = 0; b < blockCount; b++) words[b] = b % 5 === 0 ? 0 : rnd.nextUint32();
  }
  let bars = 0;
  if (c.bars) {
    bars = arena.alloc(c.m * 4).ptr;
    // A bar near the middle of the score range so that some vectors drop out and others stay.
    const view = arena.f32(bars, c.m);
    for (let a = 0; a < c.m; a++) view[a] = f32(paramView[a * stride]! * c.positions * 64 + paramView[a * stride + stride - LUT_STAGE_PARAMS]!);
  }
  const tile = blockCount * 32;
  const scan = (kernels: LutKernels, threeBit: boolean, codesPtr: number) => {
    const run = threeBit ? kernels.lutScanBlocks3 : kernels.lutScanBlocks;
    const out = arena.alloc(c.m * tile * 4).ptr;
    // Two calls over split block ranges must equal one call per range.
    const half = Math.floor(blockCount / 2);
    run(luts, c.m, params, codesPtr, 0, half, c.positions, scales, offsets, c.count, mask, bars, out);
    const first = arena.f32(out, c.m * half * 32).slice();
    run(luts, c.m, params, codesPtr, 0, blockCount, c.positions, scales, offsets, c.count, mask, bars, out);
    const all = arena.f32(out, c.m * tile).slice();
    for (let a = 0; a < c.m; a++) {
      for (let i = 0; i < half * 32; i++) expect(first[a * half * 32 + i]).toBe(all[a * tile + i]);
    }
    return all;
  };
  const outputs = backends.map((kernels) => scan(kernels, false, blocks));
  // The same codes in the 3-bit layout (padding lanes hold noise), stored and scanned by each backend.
  const outputs3 = !c.threeBit
    ? []
    : backends.map((kernels) => {
        const bytes = blockCount * lutBlockBytes(lut3Positions(c.positions));
        const blocks3 = arena.alloc(bytes).ptr;
        const view = arena.u8(blocks3, bytes);
        for (let i = 0; i < bytes; i++) view[i] = rnd.nextUint32() & 0xff;
        kernels.lutStorePackedRows3(blocks3, c.positions, 0, packRows(arena, codes, c.count, c.positions, 3).ptr, c.count);
        return scan(kernels, true, blocks3);
      });
  return { outputs, outputs3, codes, lutView: lutView.slice(), paramView: paramView.slice(), scales, offsets, mask, tile, stride };
}

describe('lut kernels', () => {
  const arena = new Arena({ initialBytes: 8 << 20 });
  const js = createJsLutKernels(arena);
  const backends: LutKernels[] = wasmAvailable() ? [js, createWasmKernels(arena)] : [js];

  it('sums the selected table entries exactly and applies mul, offset, scale and mask', () => {
    const c: ScanCase = { count: 77, positions: 260, m: 3, scales: true, offsets: true, mask: true, sigma: -1, bars: false };
    const { outputs, codes, lutView, paramView, scales, offsets, mask, tile, stride } = runScan(c, 1, backends, arena);
    const scaleView = arena.f32(scales, tile);
    const offsetView = arena.f32(offsets, tile);
    const words = arena.u32(mask, tile / 32);
    for (let a = 0; a < c.m; a++) {
      for (let v = 0; v < tile; v++) {
        let expected = -Infinity;
        if (v < c.count && (words[v >> 5]! >>> (v & 31)) & 1) {
          let sum = 0;
          for (let p = 0; p < c.positions; p++) sum += lutView[a * c.positions * 16 + p * 16 + codes[v * c.positions + p]!]!;
          const total = paramView[a * stride + stride - LUT_STAGE_PARAMS]!;
          expected = f32(f32(f32(f32(sum * paramView[a * stride]!) + total) * scaleView[v]!) + offsetView[v]!);
        }
        for (const out of outputs) expect(out[a * tile + v]).toBe(expected);
      }
    }
  });

  it('gives bit-identical output on both backends, early exit included', () => {
    const cases: ScanCase[] = [
      { count: 1, positions: 2, m: 1, scales: false, offsets: false, mask: false, sigma: -1, bars: false },
      { count: 31, positions: 16, m: 2, scales: true, offsets: false, mask: false, sigma: -1, bars: false },
      { count: 200, positions: 128, m: 4, scales: false, offsets: false, mask: false, sigma: 0, bars: true },
      { count: 333, positions: 384, m: 3, scales: true, offsets: true, mask: true, sigma: 0.05, bars: true },
      { count: 96, positions: 1536, m: 2, scales: true, offsets: false, mask: false, sigma: 0.01, bars: true },
    ];
    for (const [i, c] of cases.entries()) {
      const { outputs } = runScan(c, 10 + i, backends, arena);
      for (const out of outputs.slice(1)) expect(out).toEqual(outputs[0]);
      if (c.bars && c.sigma >= 0) {
        // The early exit must have dropped some vectors and kept others.
        const dropped = outputs[0]!.filter((s) => s === -Infinity).length;
        expect(dropped).toBeGreaterThan(0);
        expect(dropped).toBeLessThan(outputs[0]!.length);
      }
    }
  });

  it('early exit never drops a vector whose score reaches the bar when the margin is wide', () => {
    const c: ScanCase = { count: 256, positions: 512, m: 2, scales: true, offsets: false, mask: false, sigma: 1e9, bars: true };
    const pruned = runScan(c, 5, backends, arena).outputs[0]!;
    const plain = runScan({ ...c, bars: false }, 5, backends, arena).outputs[0]!;
    expect(pruned).toEqual(plain);
  });

  it('scores single vectors with the float table in position order', () => {
    const rnd = new SeededRandom(3);
    const positions = 70;
    const count = 100;
    const { ptr: blocks, codes } = storeBlocks(arena, count, positions, rnd);
    const lut = arena.alloc(positions * 16 * 4).ptr;
    const table = arena.f32(lut, positions * 16);
    rnd.fillGaussian(table);
    const tableCopy = table.slice();
    const scales = arena.alloc(128 * 4).ptr;
    const scaleView = arena.f32(scales, 128);
    for (let i = 0; i < 128; i++) scaleView[i] = f32(1 + i / 100);
    const vectors = arena.alloc(5 * 4).ptr;
    const picked = [0, 99, 31, 32, 64];
    arena.i32(vectors, 5).set(picked);
    for (const kernels of backends) {
      const out = arena.alloc(5 * 4).ptr;
      kernels.lutScoreVectors(lut, positions, blocks, scales, 0, vectors, 5, out);
      const got = arena.f32(out, 5);
      picked.forEach((v, i) => {
        let s = 0;
        for (let p = 0; p < positions; p++) s = f32(s + tableCopy[p * 16 + codes[v * positions + p]!]!);
        expect(got[i]).toBe(f32(s * f32(1 + v / 100)));
      });
    }
  });

  it('stores bit-plane packed rows into the blocked layout and moves rows, leaving other lanes alone', () => {
    const rnd = new SeededRandom(4);
    for (const bits of [1, 2, 4]) {
      const dim = 48; // 6 plane bytes per plane
      const perPosition = 4 / bits;
      const positions = dim / perPosition;
      const planeBytes = dim / 8;
      const count = 70;
      const blockBytes = lutBlockBytes(positions);
      const total = Math.ceil(count / 32) * blockBytes;
      const codes = Uint8Array.from({ length: count * dim }, () => rnd.nextUint32() & ((1 << bits) - 1));
      const packedBlock = packRows(arena, codes, count, dim, bits);
      const nibbleOf = (v: number, position: number) => {
        let nibble = 0;
        for (let t = 0; t < perPosition; t++) nibble = (nibble << bits) | codes[v * dim + position * perPosition + t]!;
        return nibble;
      };
      const outputs = backends.map((kernels) => {
        const blocks = arena.alloc(total).ptr;
        const noise = new SeededRandom(9);
        const view = arena.u8(blocks, total);
        for (let i = 0; i < total; i++) view[i] = noise.nextUint32() & 0xff;
        const before = view.slice();
        // Rows 5..69 in two calls; rows 0..4 keep their noise.
        kernels.lutStorePackedRows(blocks, positions, 5, packedBlock.ptr + 5 * bits * planeBytes, 30, bits);
        kernels.lutStorePackedRows(blocks, positions, 35, packedBlock.ptr + 35 * bits * planeBytes, 35, bits);
        const after = arena.u8(blocks, total).slice();
        for (let v = 0; v < count; v++) {
          const at = (v >> 5) * blockBytes + lutLaneByte(v & 31);
          for (let g = 0; g < positions / 2; g++) {
            const expected = v < 5 ? before[at + g * 32] : (nibbleOf(v, 2 * g) << 4) | nibbleOf(v, 2 * g + 1);
            expect(after[at + g * 32]).toBe(expected);
          }
        }
        // Padding lanes of the last block are untouched.
        for (let v = count; v < 96; v++) expect(after[(v >> 5) * blockBytes + lutLaneByte(v & 31)]).toBe(before[(v >> 5) * blockBytes + lutLaneByte(v & 31)]);
        // Moves apply in order: row 2 receives row 69 through row 7.
        const pairs = arena.alloc(6 * 4);
        arena.i32(pairs.ptr, 6).set([69, 7, 40, 41, 7, 2]);
        kernels.lutCopyRows(blocks, blocks, positions, pairs.ptr, 3);
        const moved = arena.u8(blocks, total).slice();
        const sourceOf = (v: number) => (v === 7 || v === 2 ? 69 : v === 41 ? 40 : v);
        for (let v = 0; v < count; v++) {
          const at = (v >> 5) * blockBytes + lutLaneByte(v & 31);
          const from = (sourceOf(v) >> 5) * blockBytes + lutLaneByte(sourceOf(v) & 31);
          for (let g = 0; g < positions / 2; g++) expect(moved[at + g * 32]).toBe(after[from + g * 32]);
        }
        // A gather into another layout: its row i = row 60 - i of the source.
        const gathered = arena.alloc(total).ptr;
        arena.i32(pairs.ptr, 6).set([60, 0, 59, 1, 58, 2]);
        kernels.lutCopyRows(blocks, gathered, positions, pairs.ptr, 3);
        for (let i = 0; i < 3; i++) {
          for (let g = 0; g < positions / 2; g++) {
            expect(arena.u8(gathered, total)[lutLaneByte(i) + g * 32]).toBe(moved[((60 - i) >> 5) * blockBytes + lutLaneByte((60 - i) & 31) + g * 32]);
          }
        }
        return moved;
      });
      for (const out of outputs.slice(1)) expect(out).toEqual(outputs[0]);
    }
  });
  it('scores 3-bit rows in the 3-bit layout exactly as their nibbles: same floats, early exit and masks included', () => {
    const cases: ScanCase[] = [
      { count: 1, positions: 8, m: 1, scales: false, offsets: false, mask: false, sigma: -1, bars: false },
      { count: 77, positions: 136, m: 3, scales: true, offsets: true, mask: true, sigma: -1, bars: false },
      { count: 200, positions: 128, m: 4, scales: false, offsets: false, mask: false, sigma: 0, bars: true },
      { count: 333, positions: 392, m: 3, scales: true, offsets: true, mask: true, sigma: 0.05, bars: true },
      { count: 96, positions: 1536, m: 2, scales: true, offsets: false, mask: false, sigma: 0.01, bars: true },
      { count: 64, positions: 512, m: 2, scales: true, offsets: false, mask: false, sigma: 1e9, bars: true },
    ];
    for (const [i, c] of cases.entries()) {
      const { outputs, outputs3 } = runScan({ ...c, threeBit: true }, 40 + i, backends, arena);
      // Table entries 8..15 hold noise: the 3-bit scan must never select them.
      for (const out of outputs3) expect(out).toEqual(outputs[0]);
      if (c.bars && c.sigma >= 0 && c.sigma < 1) {
        const dropped = outputs3[0]!.filter((s) => s === -Infinity).length;
        expect(dropped).toBeGreaterThan(0);
        expect(dropped).toBeLessThan(outputs3[0]!.length);
      }
    }
  });

  it('stores 3-bit packed rows in the documented bit positions, scores and moves them, leaving other lanes alone', () => {
    const rnd = new SeededRandom(6);
    const coords = 40; // five units
    const count = 70;
    const blockBytes = lutBlockBytes(lut3Positions(coords));
    expect(blockBytes).toBe(32 * (coords * 3) / 8);
    const total = Math.ceil(count / 32) * blockBytes;
    const codes = Uint8Array.from({ length: count * coords }, () => rnd.nextUint32() & 7);
    const packed = packRows(arena, codes, count, coords, 3);
    const lut = arena.alloc(coords * 16 * 4).ptr;
    rnd.fillGaussian(arena.f32(lut, coords * 16));
    const table = arena.f32(lut, coords * 16).slice();
    const outputs = backends.map((kernels) => {
      const blocks = arena.alloc(total).ptr;
      const noise = new SeededRandom(9);
      const view = arena.u8(blocks, total);
      for (let i = 0; i < total; i++) view[i] = noise.nextUint32() & 0xff;
      const before = view.slice();
      // Rows 5..69 in two calls; rows 0..4 keep their noise.
      kernels.lutStorePackedRows3(blocks, coords, 5, packed.ptr + 5 * 3 * (coords / 8), 30);
      kernels.lutStorePackedRows3(blocks, coords, 35, packed.ptr + 35 * 3 * (coords / 8), 35);
      const after = arena.u8(blocks, total).slice();
      const laneAt = (v: number) => (v >> 5) * blockBytes + lutLaneByte(v & 31);
      for (let v = 0; v < 96; v++) {
        for (let g = 0; g < (coords * 3) / 8; g++) {
          if (v < 5 || v >= count) expect(after[laneAt(v) + g * 32]).toBe(before[laneAt(v) + g * 32]);
        }
        if (v >= 5 && v < count) for (let d = 0; d < coords; d++) expect(threeBitCodeAt(after, laneAt(v), d)).toBe(codes[v * coords + d]);
      }
      // The float correction equals the nibble layout's, in the same order.
      const vectors = arena.alloc(4 * 4).ptr;
      arena.i32(vectors, 4).set([5, 31, 32, 69]);
      const scores = arena.alloc(4 * 4).ptr;
      const nibbleScores = arena.alloc(4 * 4).ptr;
      const nibbleBlocks = arena.alloc(Math.ceil(count / 32) * lutBlockBytes(coords)).ptr;
      for (let v = 0; v < count; v++) {
        const at = (v >> 5) * lutBlockBytes(coords) + lutLaneByte(v & 31);
        for (let g = 0; g < coords / 2; g++) arena.u8(nibbleBlocks + at + g * 32, 1)[0] = (codes[v * coords + 2 * g]! << 4) | codes[v * coords + 2 * g + 1]!;
      }
      kernels.lutScoreVectors3(lut, coords, blocks, 0, 0, vectors, 4, scores);
      kernels.lutScoreVectors(lut, coords, nibbleBlocks, 0, 0, vectors, 4, nibbleScores);
      expect(arena.f32(scores, 4)).toEqual(arena.f32(nibbleScores, 4));
      let expected = 0;
      for (let d = 0; d < coords; d++) expected = f32(expected + table[d * 16 + codes[69 * coords + d]!]!);
      expect(arena.f32(scores, 4)[3]).toBe(expected);
      // With per-vector scales and offsets.
      const perVector = arena.alloc(2 * 96 * 4).ptr;
      arena.f32(perVector, 2 * 96).set(Float32Array.from({ length: 2 * 96 }, (_, i) => f32(0.5 + i / 64)));
      kernels.lutScoreVectors3(lut, coords, blocks, perVector, perVector + 96 * 4, vectors, 4, scores);
      kernels.lutScoreVectors(lut, coords, nibbleBlocks, perVector, perVector + 96 * 4, vectors, 4, nibbleScores);
      expect(arena.f32(scores, 4)).toEqual(arena.f32(nibbleScores, 4));
      expect(arena.f32(scores, 4)[3]).toBe(f32(f32(expected * f32(0.5 + 69 / 64)) + f32(0.5 + (96 + 69) / 64)));
      // Moves with the 3-bit geometry: row 2 receives row 69 through row 7.
      const pairs = arena.alloc(6 * 4);
      arena.i32(pairs.ptr, 6).set([69, 7, 40, 41, 7, 2]);
      kernels.lutCopyRows(blocks, blocks, lut3Positions(coords), pairs.ptr, 3);
      const moved = arena.u8(blocks, total).slice();
      const sourceOf = (v: number) => (v === 7 || v === 2 ? 69 : v === 41 ? 40 : v);
      for (const v of [2, 7, 41, 8, 40, 69]) {
        for (let d = 0; d < coords; d++) expect(threeBitCodeAt(moved, laneAt(v), d)).toBe(codes[sourceOf(v) * coords + d]);
      }
      return moved;
    });
    for (const out of outputs.slice(1)) expect(out).toEqual(outputs[0]);
  });
});
