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
});
