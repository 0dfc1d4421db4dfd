import type { Arena } from '../arena.js';

/**
 * Lookup-table ("fast-scan") scans of 4-bit codes in 32-vector blocks, for TurboQuant and 4-bit
 * fast-scan PQ, and of 3-bit TurboQuant codes in a layout of their own. Pointers are byte offsets into the arena's memory; float32 and int32 pointers are
 * 4-byte aligned.
 *
 * ## Block layout
 * A row (vector) is `positions` nibble codes (`positions` even; pad with a position whose table is
 * all zero). Rows are grouped in blocks of 32; block b is `positions / 2` groups of 32 bytes, starting
 * at `blocks + b * positions * 16`. Byte group g of a block holds, for each of its 32 vectors, one
 * byte: high nibble = the code at position 2g, low nibble = the code at position 2g + 1. Inside a
 * group, vector (lane) l of the block sits at byte `lutLaneByte(l)`: lanes 0..15 in the first 16
 * bytes and 16..31 in the last 16, and within each half lane r < 8 at byte 2r and lane 8 + r at byte
 * 2r + 1 (the order the u16 accumulation unpacks). Vector v of a scan is lane v % 32 of block v / 32;
 * lanes past the row count are padding (any value).
 *
 * TurboQuant at 4 bits has one position per coordinate, at 2 bits one position per pair of
 * coordinates (nibble = 4 · code_2j + code_2j+1); 4-bit PQ has one position per sub-quantizer.
 *
 * ## 3-bit layout (`lutScanBlocks3`, `lutScoreVectors3`, `lutStorePackedRows3`)
 * 3-bit TurboQuant codes take exactly 3 bits per coordinate. A row of `coords` codes (a multiple of
 * 8) is `coords / 8` units of eight coordinates; unit u is byte groups 3u, 3u + 1, 3u + 2 (bytes
 * x, y, z of a lane, 32-byte groups with the lane order above), so a block is `coords · 12` bytes,
 * the geometry of a nibble layout of `lut3Positions(coords) = coords · 3 / 4` positions (lutCopyRows,
 * lutBlockBytes and lutLaneByte apply with that). With c0..c7 the codes of coordinates 8u..8u+7,
 * byte j (0, 1, 2) of the unit holds c_2j in bits 4-6, c_2j+1 in bits 0-2, bit j of c6 in bit 3 and
 * bit j of c7 in bit 7. Tables and parameters are those of `lutScanBlocks` with positions = coords
 * (one position per coordinate, entries 0..7 used), and the scores are bit-identical to
 * `lutScanBlocks` over the same codes in nibbles: stages hold the same 128 coordinates.
 *
 * ## Query tables and parameters
 * Query a has a u8 table at `luts + a * positions * 16`: entry e of position p at byte p * 16 + e,
 * every entry at most 127 (two entries are summed in a byte). The G = positions / 2 groups are
 * scanned in stages of `LUT_STAGE_GROUPS` groups; S_s is the exact integer sum of the entries a
 * vector's codes select over stages 0..s. The query's float32 parameters, `lutParamStride(positions)`
 * of them at `params + a * 4 * lutParamStride(positions)`, are:
 *   [0] mul: the float value of one table unit;
 *   [1] early exit: ≥ 0 on, negative off;  [2], [3] reserved (0);
 *   then per stage s, at 4 + 3s: off_s, the float value the score has at zero table units over
 *   stages 0..s (the tables' zero points and any bias), frac_s, the share of the full score that
 *   stages 0..s carry, and margin_s, the early-exit margin per unit scale. The last stage's off is the
 *   whole score's; its frac and margin are unused.
 * Per-vector float32 arrays, indexed by vector: `scales` (0: every scale is 1, no multiply) and
 * `offsets` (0: no offset).
 *
 * ## Scores
 * The score of vector v, each operation rounded to float32 in this order:
 *   score = (f32(S_last) · mul + off_last) · scale_v + offset_v
 * (the multiply by scale_v only when `scales` is given, the add only when `offsets` is). Vectors at
 * or past `count`, or whose bit is clear in `mask` (a u32 word per block, bit = lane; 0: no mask),
 * score -Infinity.
 *
 * Early exit (only when `bars` is given, bars[a] > -Infinity and param [1] ≥ 0): after each stage s
 * but the last, vector v is dropped (scores -Infinity and is not scanned further) when
 *   (f32(S_s) · mul + off_s) · scale_v  <  frac_s · (bars[a] - offset_v) - scale_v · margin_s
 * (terms of scale_v / offset_v omitted when those arrays are not given; the two products are each
 * rounded, then their difference). For rotated codes (TurboQuant) the partial sum of a vector whose
 * full score reaches the bar falls that far short only with probability Φ(-z) when margin_s is
 * z standard deviations of the partial sum. A 16-vector half of a block whose vectors are all
 * dropped is skipped, so the scan gets cheaper as the bar rises.
 *
 * The TypeScript implementation gives bit-identical output.
 */
export interface LutKernels {
  /**
   * Scores the vectors of blocks [blockBegin, blockEnd) against m queries (see above). Output is
   * query-major float32: out[a · T + (b - blockBegin) · 32 + lane], T = 32 · (blockEnd - blockBegin).
   */
  lutScanBlocks(
    luts: number,
    m: number,
    params: number,
    blocks: number,
    blockBegin: number,
    blockEnd: number,
    positions: number,
    scales: number,
    offsets: number,
    count: number,
    mask: number,
    bars: number,
    out: number,
  ): void;
  /**
   * Float32 scores of single vectors from their blocked codes, for the exact float correction of a
   * shortlist: for i < n, with v = vectors[i] (int32) and the float32 table `lut` (positions × 16,
   * entry e of position p at p · 16 + e), s = 0 then s = f32(s + lut[p][code_p(v)]) for p = 0, 1, ...;
   * out[i] = f32(s · scales[v]) + offsets[v] (each term only when that array is given).
   */
  lutScoreVectors(lut: number, positions: number, blocks: number, scales: number, offsets: number, vectors: number, n: number, out: number): void;
  /** `lutScanBlocks` over rows of `coords` codes in the 3-bit layout (see above); equal scores. */
  lutScanBlocks3(
    luts: number,
    m: number,
    params: number,
    blocks: number,
    blockBegin: number,
    blockEnd: number,
    coords: number,
    scales: number,
    offsets: number,
    count: number,
    mask: number,
    bars: number,
    out: number,
  ): void;
  /** `lutScoreVectors` over rows of `coords` codes in the 3-bit layout (same table, same order). */
  lutScoreVectors3(lut: number, coords: number, blocks: number, scales: number, offsets: number, vectors: number, n: number, out: number): void;
  /**
   * Writes n rows given as TurboQuant bit-plane packed codes (`bits` = 1, 2 or 4 planes of P bytes
   * each, P = positions / (2 · bits); in plane p, byte c holds bit p of the codes of coordinates
   * 8c..8c+7, the first in the most significant bit) into rows [first, first + n) of the blocked
   * layout at `blocks`. Packed row i starts at `packed + i · bits · P`. Each plane byte c becomes
   * `bits` consecutive byte groups of the row, the eight codes concatenated (`bits` bits each, first
   * coordinate most significant) and split into bytes from the top, so nibble positions hold the
   * codes (4 bits), code pairs (2 bits) or code quadruples (1 bit) in coordinate order. Other rows
   * and lanes are untouched.
   */
  lutStorePackedRows(blocks: number, positions: number, first: number, packed: number, n: number, bits: number): void;
  /**
   * `lutStorePackedRows` of 3-bit packed rows (3 planes of coords / 8 bytes) into the 3-bit layout:
   * plane byte c becomes unit c.
   */
  lutStorePackedRows3(blocks: number, coords: number, first: number, packed: number, n: number): void;
  /**
   * Copies rows from the blocked layout at `src` to the one at `dst` (the same or another, both of
   * `positions`; `lut3Positions(coords)` for the 3-bit layout): for i < n in order, row pairs[2i] of
   * `src` over row pairs[2i + 1] of `dst` (int32 pairs; positions / 2 bytes a row). One call applies
   * a whole batch of moves or a gather.
   */
  lutCopyRows(src: number, dst: number, positions: number, pairs: number, n: number): void;
}

/** Vectors per block. */
export const LUT_BLOCK = 32;
/** Byte groups (two positions each) per stage of `lutScanBlocks`. */
export const LUT_STAGE_GROUPS = 64;
/** Float32 parameters per query before its stages' parameters. */
export const LUT_PARAM_HEAD = 4;
/** Float32 parameters per stage: zero-point offset, share of the score, early-exit margin. */
export const LUT_STAGE_PARAMS = 3;
/** Largest table entry: two entries are summed in one byte. */
export const LUT_MAX_ENTRY = 127;

/** Float32 parameters per query of `lutScanBlocks` for rows of `positions` nibble positions. */
export function lutParamStride(positions: number): number {
  return LUT_PARAM_HEAD + LUT_STAGE_PARAMS * lutStageCount(positions);
}

export function lutStageCount(positions: number): number {
  return Math.ceil(positions / 2 / LUT_STAGE_GROUPS);
}

/** Bytes of one block of rows with `positions` nibble positions. */
export function lutBlockBytes(positions: number): number {
  return positions * 16;
}

/** Nibble positions with the block geometry of the 3-bit layout of `coords` codes (see `LutKernels`). */
export function lut3Positions(coords: number): number {
  return (coords * 3) / 4;
}

/** Byte offset, inside a 32-byte group, of lane `lane` (0..31) of a block. */
export function lutLaneByte(lane: number): number {
  const r = lane & 15;
  return (lane & 16) + (r < 8 ? r << 1 : ((r - 8) << 1) + 1);
}

const f32 = Math.fround;

/**
 * The exact integer sum, over byte groups or units [from, to) of one lane (its byte at `at` in
 * group 0 of its block), of the entries of the u8 table at `lut` its codes select.
 */
type LaneSum = (bytes: Uint8Array, at: number, lut: number, from: number, to: number) => number;

/** Nibble layout: group g's byte holds the codes of positions 2g (high) and 2g + 1 (low). */
const nibbleLaneSum: LaneSum = (bytes, at, lut, from, to) => {
  let sum = 0;
  for (let g = from; g < to; g++) {
    const code = bytes[at + g * 32]!;
    sum += bytes[lut + g * 32 + (code >> 4)]! + bytes[lut + g * 32 + 16 + (code & 15)]!;
  }
  return sum;
};

/** 3-bit layout: unit u's three bytes hold the codes of coordinates 8u..8u+7. */
const threeBitLaneSum: LaneSum = (bytes, at, lut, from, to) => {
  let sum = 0;
  for (let u = from; u < to; u++) {
    const x = bytes[at + u * 96]!;
    const y = bytes[at + u * 96 + 32]!;
    const z = bytes[at + u * 96 + 64]!;
    const t = lut + u * 128;
    sum += bytes[t + ((x >> 4) & 7)]! + bytes[t + 16 + (x & 7)]!;
    sum += bytes[t + 32 + ((y >> 4) & 7)]! + bytes[t + 48 + (y & 7)]!;
    sum += bytes[t + 64 + ((z >> 4) & 7)]! + bytes[t + 80 + (z & 7)]!;
    sum += bytes[t + 96 + (((x >> 3) & 1) | ((y >> 2) & 2) | ((z >> 1) & 4))]!;
    sum += bytes[t + 112 + ((x >> 7) | ((y >> 6) & 2) | ((z >> 5) & 4))]!;
  }
  return sum;
};

/** Code k (0..7) of the 3-bit unit whose first byte is at `unit` (bytes 32 apart). */
function threeBitCode(bytes: Uint8Array, unit: number, k: number): number {
  if (k < 6) {
    const byte = bytes[unit + (k >> 1) * 32]!;
    return k & 1 ? byte & 7 : (byte >> 4) & 7;
  }
  const bit = k === 6 ? 3 : 7;
  return ((bytes[unit]! >> bit) & 1) | (((bytes[unit + 32]! >> bit) & 1) << 1) | (((bytes[unit + 64]! >> bit) & 1) << 2);
}

/** Groups (nibble layout) or units (3-bit layout) per stage, and per block row. */
interface ScanGeometry {
  readonly perStage: number;
  readonly perRow: number;
  readonly blockBytes: number;
  readonly laneSum: LaneSum;
}

/** The arithmetic of `lutScanBlocks` over either layout (the stages and everything after them are shared). */
function scanBlocks(
  arena: Arena,
  geometry: ScanGeometry,
  luts: number,
  m: number,
  params: number,
  blocks: number,
  blockBegin: number,
  blockEnd: number,
  positions: number,
  scales: number,
  offsets: number,
  count: number,
  mask: number,
  bars: number,
  out: number,
): void {
  const bytes = new Uint8Array(arena.buffer);
  const floats = new Float32Array(arena.buffer);
  const words = new Uint32Array(arena.buffer);
  const { perStage, perRow, blockBytes, laneSum } = geometry;
  const stages = lutStageCount(positions);
  const paramStride = lutParamStride(positions);
  const tile = (blockEnd - blockBegin) * 32;
  const sums = new Uint32Array(32);
  for (let b = blockBegin; b < blockEnd; b++) {
    let live = mask !== 0 ? words[(mask >> 2) + b]! : 0xffffffff;
    const left = count - b * 32;
    if (left < 32) live = left <= 0 ? 0 : (live & (2 ** left - 1)) >>> 0;
    const codes = blocks + b * blockBytes;
    for (let a = 0; a < m; a++) {
      const o = (out >> 2) + a * tile + (b - blockBegin) * 32;
      const p = (params >> 2) + a * paramStride;
      const lut = luts + a * positions * 16;
      const mul = floats[p]!;
      const bar = bars !== 0 ? floats[(bars >> 2) + a]! : -Infinity;
      const prune = bar > -Infinity && floats[p + 1]! >= 0;
      let alive = live;
      sums.fill(0);
      for (let s = 0; s < stages && alive !== 0; s++) {
        const from = s * perStage;
        const to = Math.min(perRow, from + perStage);
        // A half with a live lane is summed whole, as the SIMD kernel does.
        for (let half = 0; half < 32; half += 16) {
          if (((alive >>> half) & 0xffff) === 0) continue;
          for (let lane = half; lane < half + 16; lane++) sums[lane] = sums[lane]! + laneSum(bytes, codes + lutLaneByte(lane), lut, from, to);
        }
        if (!prune || s + 1 === stages) continue;
        const stage = p + LUT_PARAM_HEAD + LUT_STAGE_PARAMS * s;
        const off = floats[stage]!;
        const f = floats[stage + 1]!;
        const sq = floats[stage + 2]!;
        for (let lane = 0; lane < 32; lane++) {
          if (((alive >>> lane) & 1) === 0) continue;
          const v = b * 32 + lane;
          let d = f32(f32(sums[lane]! * mul) + off);
          let need = bar;
          let margin = sq;
          if (scales !== 0) {
            const scale = floats[(scales >> 2) + v]!;
            d = f32(d * scale);
            margin = f32(scale * sq);
          }
          if (offsets !== 0) need = f32(bar - floats[(offsets >> 2) + v]!);
          need = f32(f32(f * need) - margin);
          if (d < need) alive = (alive & ~(1 << lane)) >>> 0;
        }
      }
      const total = floats[p + LUT_PARAM_HEAD + LUT_STAGE_PARAMS * (stages - 1)]!;
      for (let lane = 0; lane < 32; lane++) {
        const v = b * 32 + lane;
        if (((alive >>> lane) & 1) === 0) {
          floats[o + lane] = -Infinity;
          continue;
        }
        let score = f32(f32(sums[lane]! * mul) + total);
        if (scales !== 0) score = f32(score * floats[(scales >> 2) + v]!);
        if (offsets !== 0) score = f32(score + floats[(offsets >> 2) + v]!);
        floats[o + lane] = score;
      }
    }
  }
}

/** The TypeScript implementation, with results equal to the WebAssembly one. */
export function createJsLutKernels(arena: Arena): LutKernels {
  return {
    lutScanBlocks(luts, m, params, blocks, blockBegin, blockEnd, positions, scales, offsets, count, mask, bars, out) {
      const geometry = { perStage: LUT_STAGE_GROUPS, perRow: positions >> 1, blockBytes: lutBlockBytes(positions), laneSum: nibbleLaneSum };
      scanBlocks(arena, geometry, luts, m, params, blocks, blockBegin, blockEnd, positions, scales, offsets, count, mask, bars, out);
    },

    lutScanBlocks3(luts, m, params, blocks, blockBegin, blockEnd, coords, scales, offsets, count, mask, bars, out) {
      // 16 units of 8 coordinates: the 128 coordinates of a nibble stage.
      const geometry = { perStage: LUT_STAGE_GROUPS / 4, perRow: coords >> 3, blockBytes: lutBlockBytes(lut3Positions(coords)), laneSum: threeBitLaneSum };
      scanBlocks(arena, geometry, luts, m, params, blocks, blockBegin, blockEnd, coords, scales, offsets, count, mask, bars, out);
    },

    lutScoreVectors(lut, positions, blocks, scales, offsets, vectors, n, out) {
      const bytes = new Uint8Array(arena.buffer);
      const floats = new Float32Array(arena.buffer);
      const ints = new Int32Array(arena.buffer);
      const groups = positions >> 1;
      const blockBytes = groups * 32;
      const t0 = lut >> 2;
      for (let i = 0; i < n; i++) {
        const v = ints[(vectors >> 2) + i]!;
        const at = blocks + (v >> 5) * blockBytes + lutLaneByte(v & 31);
        let s = 0;
        for (let g = 0; g < groups; g++) {
          const code = bytes[at + g * 32]!;
          s = f32(s + floats[t0 + g * 32 + (code >> 4)]!);
          s = f32(s + floats[t0 + g * 32 + 16 + (code & 15)]!);
        }
        if (scales !== 0) s = f32(s * floats[(scales >> 2) + v]!);
        if (offsets !== 0) s = f32(s + floats[(offsets >> 2) + v]!);
        floats[(out >> 2) + i] = s;
      }
    },

    lutScoreVectors3(lut, coords, blocks, scales, offsets, vectors, n, out) {
      const bytes = new Uint8Array(arena.buffer);
      const floats = new Float32Array(arena.buffer);
      const ints = new Int32Array(arena.buffer);
      const blockBytes = lutBlockBytes(lut3Positions(coords));
      const t0 = lut >> 2;
      for (let i = 0; i < n; i++) {
        const v = ints[(vectors >> 2) + i]!;
        const at = blocks + (v >> 5) * blockBytes + lutLaneByte(v & 31);
        let s = 0;
        for (let d = 0; d < coords; d++) s = f32(s + floats[t0 + d * 16 + threeBitCode(bytes, at + (d >> 3) * 96, d & 7)]!);
        if (scales !== 0) s = f32(s * floats[(scales >> 2) + v]!);
        if (offsets !== 0) s = f32(s + floats[(offsets >> 2) + v]!);
        floats[(out >> 2) + i] = s;
      }
    },

    lutStorePackedRows(blocks, positions, first, packed, n, bits) {
      const bytes = new Uint8Array(arena.buffer);
      const planeBytes = positions / (bits * 2);
      const blockBytes = lutBlockBytes(positions);
      for (let i = 0; i < n; i++) {
        const v = first + i;
        let out = blocks + (v >> 5) * blockBytes + lutLaneByte(v & 31);
        const row = packed + i * bits * planeBytes;
        for (let c = 0; c < planeBytes; c++) {
          let word = 0;
          for (let p = 0; p < bits; p++) word |= spreadBits(bytes[row + p * planeBytes + c]!, bits) << p;
          for (let b = bits - 1; b >= 0; b--, out += 32) bytes[out] = (word >>> (8 * b)) & 0xff;
        }
      }
    },

    lutStorePackedRows3(blocks, coords, first, packed, n) {
      const bytes = new Uint8Array(arena.buffer);
      const planeBytes = coords / 8;
      const blockBytes = lutBlockBytes(lut3Positions(coords));
      for (let i = 0; i < n; i++) {
        const v = first + i;
        const lane = blocks + (v >> 5) * blockBytes + lutLaneByte(v & 31);
        const row = packed + i * 3 * planeBytes;
        for (let c = 0; c < planeBytes; c++) {
          const codes = Array.from({ length: 8 }, (_, k) => {
            let code = 0;
            for (let p = 0; p < 3; p++) code |= ((bytes[row + p * planeBytes + c]! >> (7 - k)) & 1) << p;
            return code;
          });
          for (let j = 0; j < 3; j++) {
            const spare = (((codes[6]! >> j) & 1) << 3) | (((codes[7]! >> j) & 1) << 7);
            bytes[lane + c * 96 + j * 32] = (codes[2 * j]! << 4) | codes[2 * j + 1]! | spare;
          }
        }
      }
    },

    lutCopyRows(src, dst, positions, pairs, n) {
      const bytes = new Uint8Array(arena.buffer);
      const ints = new Int32Array(arena.buffer);
      const blockBytes = lutBlockBytes(positions);
      for (let i = 0; i < n; i++) {
        const from = ints[(pairs >> 2) + 2 * i]!;
        const to = ints[(pairs >> 2) + 2 * i + 1]!;
        let s = src + (from >> 5) * blockBytes + lutLaneByte(from & 31);
        let d = dst + (to >> 5) * blockBytes + lutLaneByte(to & 31);
        for (let g = positions >> 1; g > 0; g--, s += 32, d += 32) bytes[d] = bytes[s]!;
      }
    },
  };
}

/** Bit k of byte `b` moved to bit `slot · k` (slot 1, 2 or 4). */
function spreadBits(b: number, slot: number): number {
  if (slot === 4) {
    b = (b | (b << 12)) & 0x000f000f;
    b = (b | (b << 6)) & 0x03030303;
    return (b | (b << 3)) & 0x11111111;
  }
  if (slot === 2) {
    b = (b | (b << 4)) & 0x0f0f;
    b = (b | (b << 2)) & 0x3333;
    return (b | (b << 1)) & 0x5555;
  }
  return b;
}
