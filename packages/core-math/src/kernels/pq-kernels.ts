import type { Arena } from '../arena.js';

/**
 * Product quantization: k-means / encoding assignment, asymmetric-distance (ADC) table scans and
 * the 4-bit fast scan. Pointers are byte offsets into the arena's memory.
 *
 * Codes: `nbits` 8 stores one byte per subspace (M bytes per code); `nbits` 4 packs two subspaces
 * per byte, subspace m in byte m >> 1, low nibble first (ceil(M / 2) bytes). An ADC table is
 * float32, M × ksub (ksub = 2^nbits), and an ADC sum adds table[m * ksub + code[m]] for m = 0, 1,
 * ... in that order, rounding to float32 after every addition, in both backends.
 */
export interface PqKernels {
  /**
   * For each row a of an m × n float32 tile (n ≥ 1): the position of its smallest value (the first
   * on ties) as int32 at `outIndex + 4a`, and the value as float32 at `outValue + 4a`.
   */
  pqArgminRows(values: number, m: number, n: number, outIndex: number, outValue: number): void;
  /** out[i] = ADC sum of the i-th of n consecutive codes (float32 out). */
  pqAdcScan(codes: number, n: number, M: number, nbits: number, table: number, out: number): void;
  /** out[i] = ADC sum of the code at row slots[i] (int32) of `codes`, for i < count. */
  pqAdcGather(codes: number, M: number, nbits: number, table: number, slots: number, count: number, out: number): void;
  /**
   * The 4-bit fast scan over `nblocks` blocks of 32 rows. A block holds, for each subspace m, 16
   * bytes whose byte j carries row j's code in its low nibble and row j + 16's in its high nibble.
   * `lut` is M × 16 uint8. Writes out[r] = Σ_m lut[m * 16 + code_r[m]] as uint16, 32 per block;
   * exact while M ≤ 257 (sums wrap modulo 2^16 beyond).
   */
  pqFastScan(blocks: number, nblocks: number, M: number, lut: number, out: number): void;
}

const f32 = Math.fround;

/** The TypeScript implementation, with results equal to the WebAssembly one. */
export function createJsPqKernels(arena: Arena): PqKernels {
  /** Bytes per code. */
  const codeBytes = (M: number, nbits: number): number => (nbits === 8 ? M : (M + 1) >> 1);
  const adcOne = (bytes: Uint8Array, code: number, M: number, nbits: number, table: Float32Array, t: number): number => {
    let s = 0;
    if (nbits === 8) {
      for (let m = 0; m < M; m++) s = f32(s + table[t + (m << 8) + bytes[code + m]!]!);
    } else {
      for (let m = 0; m < M; m++) {
        const nibble = (bytes[code + (m >> 1)]! >> ((m & 1) << 2)) & 15;
        s = f32(s + table[t + (m << 4) + nibble]!);
      }
    }
    return s;
  };

  return {
    pqArgminRows(values, m, n, outIndex, outValue) {
      const buffer = arena.buffer;
      const tile = new Float32Array(buffer, values, m * n);
      const indices = new Int32Array(buffer, outIndex, m);
      const best = new Float32Array(buffer, outValue, m);
      for (let a = 0; a < m; a++) {
        const row = a * n;
        let value = tile[row]!;
        let index = 0;
        for (let i = 1; i < n; i++) {
          const v = tile[row + i]!;
          if (v < value) {
            value = v;
            index = i;
          }
        }
        indices[a] = index;
        best[a] = value;
      }
    },
    pqAdcScan(codes, n, M, nbits, table, out) {
      const buffer = arena.buffer;
      const bytes = new Uint8Array(buffer);
      const mem = new Float32Array(buffer);
      const size = codeBytes(M, nbits);
      const o = out >> 2;
      for (let i = 0; i < n; i++) mem[o + i] = adcOne(bytes, codes + i * size, M, nbits, mem, table >> 2);
    },
    pqAdcGather(codes, M, nbits, table, slots, count, out) {
      const buffer = arena.buffer;
      const bytes = new Uint8Array(buffer);
      const mem = new Float32Array(buffer);
      const rows = new Int32Array(buffer, slots, count);
      const size = codeBytes(M, nbits);
      const o = out >> 2;
      for (let i = 0; i < count; i++) mem[o + i] = adcOne(bytes, codes + rows[i]! * size, M, nbits, mem, table >> 2);
    },
    pqFastScan(blocks, nblocks, M, lut, out) {
      const buffer = arena.buffer;
      const bytes = new Uint8Array(buffer);
      const sums = new Uint16Array(buffer, out, nblocks * 32);
      for (let b = 0; b < nblocks; b++) {
        const block = blocks + b * M * 16;
        for (let r = 0; r < 16; r++) {
          let low = 0;
          let high = 0;
          for (let m = 0; m < M; m++) {
            const byte = bytes[block + m * 16 + r]!;
            low += bytes[lut + m * 16 + (byte & 15)]!;
            high += bytes[lut + m * 16 + (byte >> 4)]!;
          }
          sums[b * 32 + r] = low;
          sums[b * 32 + r + 16] = high;
        }
      }
    },
  };
}
