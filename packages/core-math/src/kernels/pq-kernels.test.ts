import { describe, expect, it } from 'vitest';
import { Arena } from '../arena.js';
import { SeededRandom } from '../random.js';
import { createJsKernels } from './js-kernels.js';
import { wasmAvailable } from './select.js';
import type { Kernels } from './types.js';
import { createWasmKernels } from './wasm-kernels.js';

const arena = new Arena({ shared: false, initialBytes: 4 << 20 });
const backends: Kernels[] = [createJsKernels(arena), ...(wasmAvailable() ? [createWasmKernels(arena)] : [])];
const random = new SeededRandom(99);

/** Allocates at a 4-byte-aligned pointer that is not 16-byte aligned, so no kernel relies on more. */
function place(bytes: number): number {
  return arena.alloc(bytes + 4).ptr + 4;
}

function randomBytes(ptr: number, count: number): Uint8Array {
  const view = arena.u8(ptr, count);
  for (let i = 0; i < count; i++) view[i] = random.nextUint32() & 0xff;
  return view.slice();
}

/** The ADC sum written out plainly: subspace order, float32 after every addition. */
function referenceAdc(codes: Uint8Array, row: number, M: number, nbits: number, table: Float32Array): number {
  const ksub = 1 << nbits;
  const bytes = nbits === 8 ? M : (M + 1) >> 1;
  let s = 0;
  for (let m = 0; m < M; m++) {
    const byte = codes[row * bytes + (nbits === 8 ? m : m >> 1)]!;
    const code = nbits === 8 ? byte : m % 2 === 0 ? byte & 15 : byte >> 4;
    s = Math.fround(s + table[m * ksub + code]!);
  }
  return s;
}

describe.each(backends.map((k) => [k.backend, k] as const))('pq kernels (%s)', (_name, kernels) => {
  it('pqArgminRows finds the first smallest entry of each row', () => {
    for (const n of [1, 2, 5, 16, 257]) {
      const m = 7;
      const tile = place(m * n * 4);
      const values = arena.f32(tile, m * n);
      for (let i = 0; i < m * n; i++) values[i] = random.nextInt(9); // small integers: many ties
      const expected = Array.from({ length: m }, (_, a) => {
        const row = [...values.subarray(a * n, (a + 1) * n)];
        return row.indexOf(Math.min(...row));
      });
      const index = place(m * 4);
      const value = place(m * 4);
      kernels.pqArgminRows(tile, m, n, index, value);
      expect([...arena.i32(index, m)]).toEqual(expected);
      expect([...arena.f32(value, m)]).toEqual(expected.map((i, a) => values[a * n + i]));
    }
  });

  for (const nbits of [8, 4]) {
    for (const M of [1, 3, 8, 16, 33]) {
      it(`pqAdcScan and pqAdcGather sum the table in subspace order (nbits ${nbits}, M ${M})`, () => {
        const ksub = 1 << nbits;
        const bytes = nbits === 8 ? M : (M + 1) >> 1;
        const n = 23;
        const codesPtr = place(n * bytes);
        const codes = randomBytes(codesPtr, n * bytes);
        const tablePtr = place(M * ksub * 4);
        const table = arena.f32(tablePtr, M * ksub);
        random.fillGaussian(table);
        const tableCopy = table.slice();
        const out = place(n * 4);
        kernels.pqAdcScan(codesPtr, n, M, nbits, tablePtr, out);
        const expected = Array.from({ length: n }, (_, i) => referenceAdc(codes, i, M, nbits, tableCopy));
        expect([...arena.f32(out, n)]).toEqual(expected);
        const slots = [22, 0, 5, 5, 17];
        const slotsPtr = place(slots.length * 4);
        arena.i32(slotsPtr, slots.length).set(slots);
        kernels.pqAdcGather(codesPtr, M, nbits, tablePtr, slotsPtr, slots.length, out);
        expect([...arena.f32(out, slots.length)]).toEqual(slots.map((s) => expected[s]));
      });
    }
  }

  it('pqFastScan sums uint8 table entries of the packed 32-row blocks', () => {
    for (const M of [1, 2, 7, 16, 64]) {
      const nblocks = 3;
      const blocksPtr = place(nblocks * M * 16);
      const blocks = randomBytes(blocksPtr, nblocks * M * 16);
      const lutPtr = place(M * 16);
      const lut = randomBytes(lutPtr, M * 16);
      const out = place(nblocks * 64);
      kernels.pqFastScan(blocksPtr, nblocks, M, lutPtr, out);
      const sums = arena.u16(out, nblocks * 32);
      for (let b = 0; b < nblocks; b++) {
        for (let r = 0; r < 32; r++) {
          let expected = 0;
          for (let m = 0; m < M; m++) {
            const byte = blocks[b * M * 16 + m * 16 + (r & 15)]!;
            expected += lut[m * 16 + (r < 16 ? byte & 15 : byte >> 4)]!;
          }
          expect(sums[b * 32 + r]).toBe(expected);
        }
      }
    }
  });

  /** Writes list descriptors (entries, count, terms, bias) for the multi-list kernels. */
  function descriptors(lists: readonly { ptr: number; n: number; terms: number; bias: number }[]): number {
    const ptr = place(lists.length * 16);
    lists.forEach((list, l) => {
      arena.i32(ptr + l * 16, 3).set([list.ptr, list.n, list.terms]);
      arena.f32(ptr + l * 16 + 12, 1)[0] = list.bias;
    });
    return ptr;
  }

  it('pqAdcScanLists adds each list bias, the per-entry terms and the scaled ADC sum', () => {
    const M = 5;
    const table = place(M * 256 * 4);
    random.fillGaussian(arena.f32(table, M * 256));
    const tableCopy = arena.f32(table, M * 256).slice();
    const lists = [7, 0, 4, 13].map((n, l) => {
      const ptr = place(Math.max(1, n * M));
      const terms = l % 2 === 0 ? place(Math.max(1, n) * 4) : 0;
      if (terms) random.fillGaussian(arena.f32(terms, n));
      return { ptr, n, terms, bias: Math.fround(random.nextGaussian() * 10), codes: randomBytes(ptr, n * M), termValues: terms ? arena.f32(terms, n).slice() : undefined };
    });
    const out = place(24 * 4);
    for (const scale of [1, -2]) {
      kernels.pqAdcScanLists(descriptors(lists), lists.length, M, 8, table, scale, out);
      const expected = lists.flatMap((list) =>
        Array.from({ length: list.n }, (_, i) => {
          const base = list.termValues ? Math.fround(list.bias + list.termValues[i]!) : list.bias;
          return Math.fround(base + Math.fround(scale * referenceAdc(list.codes, i, M, 8, tableCopy)));
        }),
      );
      expect([...arena.f32(out, 24)]).toEqual(expected);
    }
  });

  it('pqQuantizeLut maps each row onto 0..255 with one shared unit', () => {
    const M = 6;
    const table = place(M * 16 * 4);
    const values = arena.f32(table, M * 16);
    random.fillGaussian(values);
    for (let c = 0; c < 16; c++) values[16 + c] = 0.5; // a constant row
    for (let c = 0; c < 16; c++) values[32 + c] = values[32 + c]! * 10; // the widest row sets the unit
    const copy = values.slice();
    const lut = place(M * 16);
    const params = place(8);
    kernels.pqQuantizeLut(table, M, lut, params);
    const [base, unit] = arena.f32(params, 2);
    const codes = arena.u8(lut, M * 16);
    let lows = 0;
    for (let m = 0; m < M; m++) {
      const row = [...copy.subarray(m * 16, m * 16 + 16)];
      const lo = Math.min(...row);
      lows = Math.fround(lows + lo);
      for (let c = 0; c < 16; c++) expect(Math.abs(lo + codes[m * 16 + c]! * unit! - row[c]!)).toBeLessThanOrEqual(unit! * 0.5001);
    }
    expect(base).toBe(lows);
    expect(Math.max(...codes.subarray(32, 48))).toBe(255);
    expect([...codes.subarray(16, 32)]).toEqual(Array(16).fill(0));
  });

  it('pqFastScanLists turns the block sums of several lists into biased float estimates', () => {
    const M = 9;
    const lut = place(M * 16);
    const lutBytes = randomBytes(lut, M * 16);
    const params = place(8);
    arena.f32(params, 2).set([-3.25, 0.0625]);
    const lists = [40, 0, 32, 5].map((n, l) => {
      const nblocks = Math.ceil(n / 32);
      const ptr = place(Math.max(1, nblocks * M * 16));
      const terms = l === 1 || l === 3 ? 0 : place(Math.max(1, nblocks * 32) * 4);
      if (terms) random.fillGaussian(arena.f32(terms, nblocks * 32));
      return { ptr, n, terms, bias: Math.fround(random.nextGaussian()), blocks: randomBytes(ptr, nblocks * M * 16), termValues: terms ? arena.f32(terms, nblocks * 32).slice() : undefined };
    });
    const total = lists.reduce((sum, list) => sum + Math.ceil(list.n / 32) * 32, 0);
    const out = place(total * 4);
    kernels.pqFastScanLists(descriptors(lists), lists.length, M, lut, params, -2, out);
    const got = arena.f32(out, total);
    let o = 0;
    for (const list of lists) {
      for (let r = 0; r < Math.ceil(list.n / 32) * 32; r++) {
        let u = 0;
        for (let m = 0; m < M; m++) {
          const byte = list.blocks[(r >> 5) * M * 16 + m * 16 + (r & 15)]!;
          u += lutBytes[m * 16 + ((r & 31) < 16 ? byte & 15 : byte >> 4)]!;
        }
        const base = list.termValues ? Math.fround(list.bias + list.termValues[r]!) : list.bias;
        expect(got[o++]).toBe(Math.fround(base + Math.fround(-2 * Math.fround(-3.25 + Math.fround(0.0625 * u)))));
      }
    }
  });

  it('pqFastScanGather sums the float table over single entries of fast-scan blocks', () => {
    const M = 7;
    const nblocks = 2;
    const blocksPtr = place(nblocks * M * 16);
    const blocks = randomBytes(blocksPtr, nblocks * M * 16);
    const table = place(M * 16 * 4);
    random.fillGaussian(arena.f32(table, M * 16));
    const tableCopy = arena.f32(table, M * 16).slice();
    const positions = [0, 15, 16, 31, 32, 63, 40];
    const refs = place(positions.length * 8);
    arena.i32(refs, positions.length * 2).set(positions.flatMap((p) => [blocksPtr, p]));
    const out = place(positions.length * 4);
    kernels.pqFastScanGather(refs, positions.length, M, table, out);
    const expected = positions.map((p) => {
      let s = 0;
      for (let m = 0; m < M; m++) {
        const byte = blocks[(p >> 5) * M * 16 + m * 16 + (p & 15)]!;
        s = Math.fround(s + tableCopy[m * 16 + ((p & 31) < 16 ? byte & 15 : byte >> 4)]!);
      }
      return s;
    });
    expect([...arena.f32(out, positions.length)]).toEqual(expected);
  });

  it('pqTable computes inner products and squared distances to transposed codebooks', () => {
    for (const [M, ksub, dsub] of [[3, 16, 2], [2, 256, 5], [4, 16, 1]] as const) {
      const dim = M * dsub;
      const query = place(dim * 4);
      random.fillGaussian(arena.f32(query, dim));
      const q = arena.f32(query, dim).slice();
      const codebooks = place(M * ksub * dsub * 4);
      random.fillGaussian(arena.f32(codebooks, M * ksub * dsub));
      const cb = arena.f32(codebooks, M * ksub * dsub).slice();
      const out = place(M * ksub * 4);
      for (const l2 of [0, 1]) {
        kernels.pqTable(query, codebooks, M, ksub, dsub, l2, out);
        const expected = Array.from({ length: M * ksub }, (_, e) => {
          const m = Math.floor(e / ksub);
          const c = e % ksub;
          let s = 0;
          for (let j = 0; j < dsub; j++) {
            const a = q[m * dsub + j]!;
            const x = cb[(m * dsub + j) * ksub + c]!;
            s = Math.fround(s + (l2 ? Math.fround(Math.fround(a - x) ** 2) : Math.fround(a * x)));
          }
          return s;
        });
        expect([...arena.f32(out, M * ksub)]).toEqual(expected);
      }
    }
  });

  it('pqAssign equals l2sqF32Batch followed by pqArgminRows, ties to the first centroid', () => {
    for (const [n, dim, k] of [[9, 4, 16], [5, 2, 7], [6, 11, 13], [3, 1, 4], [4, 8, 1]] as const) {
      const points = place(n * dim * 4);
      const centroids = place(k * dim * 4);
      // Integer values: ties are common.
      arena.f32(points, n * dim).set(Array.from({ length: n * dim }, () => random.nextInt(5)));
      arena.f32(centroids, k * dim).set(Array.from({ length: k * dim }, () => random.nextInt(5)));
      const rows = arena.f32(centroids, k * dim).slice();
      const kPad = Math.ceil(k / 4) * 4;
      const transposed = place(dim * kPad * 4);
      const t = arena.f32(transposed, dim * kPad);
      for (let j = 0; j < dim; j++) for (let c = 0; c < kPad; c++) t[j * kPad + c] = rows[(c < k ? c : 0) * dim + j]!;
      const tile = place(n * k * 4);
      const expectedIndex = place(n * 4);
      const expectedValue = place(n * 4);
      kernels.l2sqF32Batch(points, n, centroids, k, dim, tile);
      kernels.pqArgminRows(tile, n, k, expectedIndex, expectedValue);
      const index = place(n * 4);
      const value = place(n * 4);
      kernels.pqAssign(points, n, dim, transposed, k, index, value);
      expect([...arena.i32(index, n)]).toEqual([...arena.i32(expectedIndex, n)]);
      expect([...arena.f32(value, n)]).toEqual([...arena.f32(expectedValue, n)]);
    }
    // Non-integer values: the distances match l2sqF32 bit for bit.
    const dim = 9;
    const points = place(8 * dim * 4);
    random.fillGaussian(arena.f32(points, 8 * dim));
    const centroids = place(4 * dim * 4);
    random.fillGaussian(arena.f32(centroids, 4 * dim));
    const rows = arena.f32(centroids, 4 * dim).slice();
    const transposed = place(dim * 4 * 4);
    const t = arena.f32(transposed, dim * 4);
    for (let j = 0; j < dim; j++) for (let c = 0; c < 4; c++) t[j * 4 + c] = rows[c * dim + j]!;
    const index = place(8 * 4);
    const value = place(8 * 4);
    kernels.pqAssign(points, 8, dim, transposed, 4, index, value);
    const distance = place(4);
    for (let i = 0; i < 8; i++) {
      kernels.l2sqF32(points + i * dim * 4, centroids + arena.i32(index, 8)[i]! * dim * 4, 1, dim, distance);
      expect(arena.f32(value, 8)[i]).toBe(arena.f32(distance, 1)[0]);
    }
  });
});
