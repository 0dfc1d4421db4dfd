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

  /**
   * ADC over several lists of consecutive codes in one call (IVF-PQ). `lists` holds `count`
   * descriptors of 16 bytes: the codes' pointer (int32), the entry count n (int32), a pointer to
   * n float32 per-entry terms (int32; 0 for none) and the list's bias (float32). For entry i with
   * ADC sum s (as `pqAdcScan`) writes f32(f32(bias + term[i]) + f32(scale × s)), or
   * f32(bias + f32(scale × s)) without terms; outputs are concatenated in list order.
   */
  pqAdcScanLists(lists: number, count: number, M: number, nbits: number, table: number, scale: number, out: number): void;
  /**
   * Quantizes an M × 16 float32 table to the uint8 `lut` of the fast scan. With lo_m the smallest
   * entry of row m and unit = f32(max_m f32(hi_m − lo_m) / 255) (1 when every row is constant),
   * entry t becomes min(255, floor(f32(f32(f32(t − lo_m) / unit) + 0.5))). Writes two float32 at
   * `params`: Σ_m lo_m (added in row order) and unit, so a code's table sum ≈ params[0] +
   * params[1] × its lut sum.
   */
  pqQuantizeLut(table: number, M: number, lut: number, params: number): void;
  /**
   * The 4-bit fast scan over several lists in one call (IVF-PQ). Descriptors as `pqAdcScanLists`,
   * with entries in `pqFastScan` blocks; `lut` and `params` from `pqQuantizeLut`. For entry i with
   * lut sum u writes f32(base_i + f32(scale × f32(params[0] + f32(params[1] × u)))), base_i =
   * f32(bias + term[i]) or bias. Every list fills ceil(n / 32) × 32 outputs (padding rows
   * included), in list order; its terms must be readable for that many rows.
   */
  pqFastScanLists(lists: number, count: number, M: number, lut: number, params: number, scale: number, out: number): void;
  /**
   * Float ADC sums of single entries of fast-scan lists: `refs` holds `count` int32 pairs (a
   * list's block pointer, an entry's position in it); out[i] = Σ_m table[m * 16 + code_m] over the
   * entry's 4-bit codes, added in subspace order in float32 (as `pqAdcScan`).
   */
  pqFastScanGather(refs: number, count: number, M: number, table: number, out: number): void;
  /**
   * The ADC table of a query in one call: out[m * ksub + c] = the inner product (`l2` 0) or the
   * squared l2 distance (`l2` 1) of query subvector m (dsub float32 from `query + 4 m dsub`) and
   * centroid c of subspace m. Codebooks are transposed per subspace: value j of centroid c at
   * float index (m * dsub + j) * ksub + c; ksub must be a multiple of 4. Each entry adds its dsub
   * terms f32(q · x), or f32(t · t) with t = f32(q − x), in order from 0, in float32.
   */
  pqTable(query: number, codebooksT: number, M: number, ksub: number, dsub: number, l2: number, out: number): void;
  /**
   * The nearest of k centroids for each of n points (row-major, `dim` float32 each), in one pass.
   * Centroids are transposed: value j of centroid c at float index j × kPad + c, kPad = k rounded
   * up to a multiple of 4, padding columns holding copies of centroid 0. Distances are `l2sqF32`'s
   * (canonical order, bit-identical). Writes per point the index of the smallest (the first on
   * ties) as int32 at `outIndex` and the distance as float32 at `outValue`, as `l2sqF32Batch`
   * followed by `pqArgminRows` would. Inputs must be finite.
   */
  pqAssign(points: number, n: number, dim: number, centroidsT: number, k: number, outIndex: number, outValue: number): void;
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

  /** Uint16 lookup sums of one 32-row fast-scan block, row order. */
  const blockSums = (bytes: Uint8Array, block: number, M: number, lut: number, sums: Uint16Array): void => {
    for (let r = 0; r < 16; r++) {
      let low = 0;
      let high = 0;
      for (let m = 0; m < M; m++) {
        const byte = bytes[block + m * 16 + r]!;
        low += bytes[lut + m * 16 + (byte & 15)]!;
        high += bytes[lut + m * 16 + (byte >> 4)]!;
      }
      sums[r] = low;
      sums[r + 16] = high;
    }
  };

  const kernels: PqKernels = {
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
      for (let b = 0; b < nblocks; b++) blockSums(bytes, blocks + b * M * 16, M, lut, new Uint16Array(buffer, out + b * 64, 32));
    },
    pqAdcScanLists(lists, count, M, nbits, table, scale, out) {
      const s = f32(scale);
      let o = out;
      for (let l = 0; l < count; l++) {
        const [codes, n, terms, bias] = listDescriptor(arena.buffer, lists, l);
        kernels.pqAdcScan(codes, n, M, nbits, table, o);
        const mem = new Float32Array(arena.buffer);
        for (let i = 0; i < n; i++) {
          const base = terms !== 0 ? f32(bias + mem[(terms >> 2) + i]!) : bias;
          mem[(o >> 2) + i] = f32(base + f32(s * mem[(o >> 2) + i]!));
        }
        o += n * 4;
      }
    },
    pqQuantizeLut(table, M, lut, params) {
      const buffer = arena.buffer;
      const t = new Float32Array(buffer, table, M * 16);
      const q = new Uint8Array(buffer, lut, M * 16);
      const lows = new Float32Array(M);
      let base = 0;
      let range = 0;
      for (let m = 0; m < M; m++) {
        let lo = t[m * 16]!;
        let hi = lo;
        for (let c = 1; c < 16; c++) {
          const v = t[m * 16 + c]!;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        lows[m] = lo;
        base = f32(base + lo);
        const r = f32(hi - lo);
        if (r > range) range = r;
      }
      const unit = range > 0 ? f32(range / 255) : 1;
      for (let m = 0; m < M; m++) {
        for (let c = 0; c < 16; c++) {
          const scaled = f32(f32(t[m * 16 + c]! - lows[m]!) / unit);
          q[m * 16 + c] = Math.min(255, Math.floor(f32(scaled + 0.5)));
        }
      }
      const out = new Float32Array(buffer, params, 2);
      out[0] = base;
      out[1] = unit;
    },
    pqFastScanLists(lists, count, M, lut, params, scale, out) {
      const buffer = arena.buffer;
      const bytes = new Uint8Array(buffer);
      const mem = new Float32Array(buffer);
      const s = f32(scale);
      const lutBase = mem[params >> 2]!;
      const unit = mem[(params >> 2) + 1]!;
      const sums = new Uint16Array(32);
      let o = out >> 2;
      for (let l = 0; l < count; l++) {
        const [blocks, n, terms, bias] = listDescriptor(buffer, lists, l);
        const nblocks = (n + 31) >> 5;
        for (let b = 0; b < nblocks; b++) {
          blockSums(bytes, blocks + b * M * 16, M, lut, sums);
          for (let r = 0; r < 32; r++) {
            const base = terms !== 0 ? f32(bias + mem[(terms >> 2) + b * 32 + r]!) : bias;
            mem[o + r] = f32(base + f32(s * f32(lutBase + f32(unit * sums[r]!))));
          }
          o += 32;
        }
      }
    },
    pqFastScanGather(refs, count, M, table, out) {
      const buffer = arena.buffer;
      const bytes = new Uint8Array(buffer);
      const mem = new Float32Array(buffer);
      const pairs = new Int32Array(buffer, refs, count * 2);
      for (let i = 0; i < count; i++) {
        const position = pairs[i * 2 + 1]!;
        const lane = position & 31;
        const shift = (lane >> 4) << 2;
        const block = pairs[i * 2]! + (position >> 5) * M * 16 + (lane & 15);
        let s = 0;
        for (let m = 0; m < M; m++) s = f32(s + mem[(table >> 2) + m * 16 + ((bytes[block + m * 16]! >> shift) & 15)]!);
        mem[(out >> 2) + i] = s;
      }
    },
    pqTable(query, codebooksT, M, ksub, dsub, l2, out) {
      const mem = new Float32Array(arena.buffer);
      const q0 = query >> 2;
      const cb0 = codebooksT >> 2;
      const o0 = out >> 2;
      for (let m = 0; m < M; m++) {
        for (let c = 0; c < ksub; c++) {
          let s = 0;
          for (let j = 0; j < dsub; j++) {
            const q = mem[q0 + m * dsub + j]!;
            const x = mem[cb0 + (m * dsub + j) * ksub + c]!;
            const t = l2 ? f32(q - x) : 0;
            s = f32(s + (l2 ? f32(t * t) : f32(q * x)));
          }
          mem[o0 + m * ksub + c] = s;
        }
      }
    },
    pqAssign(points, n, dim, centroidsT, k, outIndex, outValue) {
      const buffer = arena.buffer;
      const mem = new Float32Array(buffer);
      const indices = new Int32Array(buffer, outIndex, n);
      const values = new Float32Array(buffer, outValue, n);
      const kPad = (k + 3) & ~3;
      const d4 = dim & ~3;
      const c0 = centroidsT >> 2;
      for (let i = 0; i < n; i++) {
        const x = (points >> 2) + i * dim;
        let best = Infinity;
        let at = 0;
        for (let c = 0; c < k; c++) {
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          let j = 0;
          for (; j < d4; j += 4) {
            a0 = f32(a0 + squaredGap(mem, x + j, c0 + j * kPad + c));
            a1 = f32(a1 + squaredGap(mem, x + j + 1, c0 + (j + 1) * kPad + c));
            a2 = f32(a2 + squaredGap(mem, x + j + 2, c0 + (j + 2) * kPad + c));
            a3 = f32(a3 + squaredGap(mem, x + j + 3, c0 + (j + 3) * kPad + c));
          }
          let s = f32(f32(a0 + a2) + f32(a1 + a3));
          for (; j < dim; j++) s = f32(s + squaredGap(mem, x + j, c0 + j * kPad + c));
          if (c === 0 || s < best) {
            best = s;
            at = c;
          }
        }
        indices[i] = at;
        values[i] = best;
      }
    },
  };
  return kernels;
}

/** f32(t × t) with t = f32(mem[a] − mem[b]): one term of the canonical l2 sum. */
function squaredGap(mem: Float32Array, a: number, b: number): number {
  const t = f32(mem[a]! - mem[b]!);
  return f32(t * t);
}

/** List descriptor l of a `pqAdcScanLists` / `pqFastScanLists` table: entries, count, terms, bias. */
function listDescriptor(buffer: ArrayBufferLike, lists: number, l: number): [number, number, number, number] {
  const words = new Int32Array(buffer, lists + l * 16, 3);
  return [words[0]!, words[1]!, words[2]!, new Float32Array(buffer, lists + l * 16 + 12, 1)[0]!];
}
