// Lookup-table ("fast-scan") kernels over 32-vector blocks of 4-bit codes, for TurboQuant and 4-bit
// fast-scan PQ, and of 3-bit TurboQuant codes in a layout of exactly 3 bits per coordinate. The
// block layouts, the query parameters and the exact arithmetic are specified in
// src/kernels/lut-kernels.ts, whose TypeScript implementation gives equal results (integer sums
// exactly, every float step in the same order and rounding).
//
// The module allocates nothing and has no static data.

/** Byte groups (two nibble positions each) per stage: sums stay in u16 lanes for one stage (64 · 254 < 2^16). */
const LUT_STAGE_GROUPS: i32 = 64;
/** Units (eight coordinates in three byte groups) per stage of the 3-bit scan: 64 byte pairs, as above. */
const LUT3_STAGE_UNITS: i32 = 16;
/** Bytes of one 3-bit unit of a block: three 32-byte groups. */
const LUT3_UNIT_BYTES: usize = 96;
/** Float32 parameters per query before its stages' parameters. */
const LUT_PARAM_HEAD: i32 = 4;
/** Float32 parameters per stage: zero-point offset, fraction of the score, early-exit margin. */
const LUT_STAGE_PARAMS: i32 = 3;

/** Lane masks of the four vectors of quad `quad` of a block. */
// @ts-ignore: decorator
@inline function quadLanes(alive: u32, quad: i32): v128 {
  return i32x4.ne(v128.and(i32x4.splat(<i32>(alive >> (<u32>quad << 2))), i32x4(1, 2, 4, 8)), i32x4.splat(0));
}

/** Adds one half's u16 sums to the u32 totals at `o` (16 vectors, in vector order). */
// @ts-ignore: decorator
@inline function flushHalf(o: usize, all: v128, odd: v128): void {
  // `all` added the two-byte u16 lanes whole and `odd` only their high bytes, so the low bytes'
  // sums are all - (odd << 8) (mod 2^16, exact below 2^16). Low bytes are lanes 0..7, high 8..15.
  const even = i16x8.sub(all, i16x8.shl(odd, 8));
  v128.store(o, i32x4.add(v128.load(o), i32x4.extend_low_i16x8_u(even)));
  v128.store(o, i32x4.add(v128.load(o, 16), i32x4.extend_high_i16x8_u(even)), 16);
  v128.store(o, i32x4.add(v128.load(o, 32), i32x4.extend_low_i16x8_u(odd)), 32);
  v128.store(o, i32x4.add(v128.load(o, 48), i32x4.extend_high_i16x8_u(odd)), 48);
}

/** The sums of one half (16 vectors at byte offset `half` of each 32-byte group) over groups [g0, g1). */
// @ts-ignore: decorator
@inline function stageHalf(codes: usize, lut: usize, g0: i32, g1: i32, half: usize, o: usize): void {
  const low = i8x16.splat(0x0f);
  let all = i16x8.splat(0);
  let odd = all;
  let c = codes + (<usize>g0 << 5) + half;
  let t = lut + (<usize>g0 << 5);
  for (let g = g0; g < g1; g++) {
    const v = v128.load(c);
    const s = i8x16.add(
      i8x16.swizzle(v128.load(t), v128.and(i16x8.shr_u(v, 4), low)),
      i8x16.swizzle(v128.load(t, 16), v128.and(v, low)),
    );
    all = i16x8.add(all, s);
    odd = i16x8.add(odd, i16x8.shr_u(s, 8));
    c += 32;
    t += 32;
  }
  flushHalf(o + (half << 2), all, odd);
}

/** Both halves over groups [g0, g1), sharing the table loads. */
// @ts-ignore: decorator
@inline function stageBoth(codes: usize, lut: usize, g0: i32, g1: i32, o: usize): void {
  const low = i8x16.splat(0x0f);
  let all0 = i16x8.splat(0);
  let odd0 = all0;
  let all1 = all0;
  let odd1 = all0;
  let c = codes + (<usize>g0 << 5);
  let t = lut + (<usize>g0 << 5);
  for (let g = g0; g < g1; g++) {
    const th = v128.load(t);
    const tl = v128.load(t, 16);
    const v0 = v128.load(c);
    const v1 = v128.load(c, 16);
    const s0 = i8x16.add(i8x16.swizzle(th, v128.and(i16x8.shr_u(v0, 4), low)), i8x16.swizzle(tl, v128.and(v0, low)));
    const s1 = i8x16.add(i8x16.swizzle(th, v128.and(i16x8.shr_u(v1, 4), low)), i8x16.swizzle(tl, v128.and(v1, low)));
    all0 = i16x8.add(all0, s0);
    odd0 = i16x8.add(odd0, i16x8.shr_u(s0, 8));
    all1 = i16x8.add(all1, s1);
    odd1 = i16x8.add(odd1, i16x8.shr_u(s1, 8));
    c += 32;
    t += 32;
  }
  flushHalf(o, all0, odd0);
  flushHalf(o + 64, all1, odd1);
}

/** Table entries of a byte's high and low 3-bit codes (bits 4-6 and 0-2), summed per byte. */
// @ts-ignore: decorator
@inline function pairSum(high: v128, low: v128, v: v128): v128 {
  const code = i8x16.splat(7);
  return i8x16.add(i8x16.swizzle(high, v128.and(i16x8.shr_u(v, 4), code)), i8x16.swizzle(low, v128.and(v, code)));
}

/**
 * Adds the next byte of a 3-bit unit's spare bits (bit 3: a bit of the unit's 7th code, bit 7: of its
 * 8th) to `w` and shifts: after the unit's bytes x, y, z, bits 0-2 of `w` hold the 7th code and
 * bits 4-6 the 8th. Every u16 lane is masked to bits 1-7 of each byte before a shift, so no bit
 * crosses into the other byte.
 */
// @ts-ignore: decorator
@inline function gatherSpare(w: v128, v: v128): v128 {
  return i16x8.shr_u(v128.or(w, v128.and(v, i8x16.splat(<i8>0x88))), 1);
}

/** Adds one byte-pair sum `s` (u8 lanes) to a half's u16 totals (see `flushHalf`). */
// @ts-ignore: decorator
@inline function addAll(all: v128, s: v128): v128 {
  return i16x8.add(all, s);
}
// @ts-ignore: decorator
@inline function addOdd(odd: v128, s: v128): v128 {
  return i16x8.add(odd, i16x8.shr_u(s, 8));
}

/** The sums of one half (16 vectors at byte offset `half` of each group) over 3-bit units [u0, u1). */
// @ts-ignore: decorator
@inline function stage3Half(codes: usize, lut: usize, u0: i32, u1: i32, half: usize, o: usize): void {
  let all = i16x8.splat(0);
  let odd = all;
  let c = codes + <usize>u0 * LUT3_UNIT_BYTES + half;
  let t = lut + (<usize>u0 << 7);
  for (let u = u0; u < u1; u++) {
    let w = i16x8.splat(0);
    for (let j: usize = 0; j < 3; j++) {
      const v = v128.load(c + (j << 5));
      const s = pairSum(v128.load(t + (j << 5)), v128.load(t + (j << 5), 16), v);
      w = gatherSpare(w, v);
      all = addAll(all, s);
      odd = addOdd(odd, s);
    }
    const s = pairSum(v128.load(t, 112), v128.load(t, 96), w);
    all = addAll(all, s);
    odd = addOdd(odd, s);
    c += LUT3_UNIT_BYTES;
    t += 128;
  }
  flushHalf(o + (half << 2), all, odd);
}

/** Both halves over 3-bit units [u0, u1), sharing the table loads. */
// @ts-ignore: decorator
@inline function stage3Both(codes: usize, lut: usize, u0: i32, u1: i32, o: usize): void {
  let all0 = i16x8.splat(0);
  let odd0 = all0;
  let all1 = all0;
  let odd1 = all0;
  let c = codes + <usize>u0 * LUT3_UNIT_BYTES;
  let t = lut + (<usize>u0 << 7);
  for (let u = u0; u < u1; u++) {
    let w0 = i16x8.splat(0);
    let w1 = w0;
    for (let j: usize = 0; j < 3; j++) {
      const high = v128.load(t + (j << 5));
      const low = v128.load(t + (j << 5), 16);
      const v0 = v128.load(c + (j << 5));
      const v1 = v128.load(c + (j << 5), 16);
      const s0 = pairSum(high, low, v0);
      const s1 = pairSum(high, low, v1);
      w0 = gatherSpare(w0, v0);
      w1 = gatherSpare(w1, v1);
      all0 = addAll(all0, s0);
      odd0 = addOdd(odd0, s0);
      all1 = addAll(all1, s1);
      odd1 = addOdd(odd1, s1);
    }
    const high = v128.load(t, 112);
    const low = v128.load(t, 96);
    const s0 = pairSum(high, low, w0);
    const s1 = pairSum(high, low, w1);
    all0 = addAll(all0, s0);
    odd0 = addOdd(odd0, s0);
    all1 = addAll(all1, s1);
    odd1 = addOdd(odd1, s1);
    c += LUT3_UNIT_BYTES;
    t += 128;
  }
  flushHalf(o, all0, odd0);
  flushHalf(o + 64, all1, odd1);
}

/**
 * Scores the vectors of blocks [blockBegin, blockEnd) against m queries; see `LutKernels.lutScanBlocks`
 * in src/kernels/lut-kernels.ts for the layout and the arithmetic.
 */
export function lutScanBlocks(
  luts: usize,
  m: i32,
  params: usize,
  blocks: usize,
  blockBegin: i32,
  blockEnd: i32,
  positions: i32,
  scales: usize,
  offsets: usize,
  count: i32,
  mask: usize,
  bars: usize,
  out: usize,
): void {
  scanBlocks(luts, m, params, blocks, blockBegin, blockEnd, positions, scales, offsets, count, mask, bars, out, false);
}

/** `lutScanBlocks` over rows of `coords` 3-bit codes in the 3-bit layout; see `LutKernels.lutScanBlocks3`. */
export function lutScanBlocks3(
  luts: usize,
  m: i32,
  params: usize,
  blocks: usize,
  blockBegin: i32,
  blockEnd: i32,
  coords: i32,
  scales: usize,
  offsets: usize,
  count: i32,
  mask: usize,
  bars: usize,
  out: usize,
): void {
  scanBlocks(luts, m, params, blocks, blockBegin, blockEnd, coords, scales, offsets, count, mask, bars, out, true);
}

/** The scan of either layout: `positions` table positions, 3-bit codes in the 3-bit layout when `threeBit`. */
// @ts-ignore: decorator
@inline function scanBlocks(
  luts: usize,
  m: i32,
  params: usize,
  blocks: usize,
  blockBegin: i32,
  blockEnd: i32,
  positions: i32,
  scales: usize,
  offsets: usize,
  count: i32,
  mask: usize,
  bars: usize,
  out: usize,
  threeBit: bool,
): void {
  const groups = positions >> 1;
  const units = positions >> 3;
  const stages = threeBit ? (units + LUT3_STAGE_UNITS - 1) / LUT3_STAGE_UNITS : (groups + LUT_STAGE_GROUPS - 1) / LUT_STAGE_GROUPS;
  const paramBytes = <usize>(LUT_PARAM_HEAD + LUT_STAGE_PARAMS * stages) << 2;
  const blockBytes = threeBit ? <usize>units * LUT3_UNIT_BYTES : <usize>groups << 5;
  const lutBytes = <usize>positions << 4;
  const tile = <usize>(blockEnd - blockBegin) << 5;
  const minusInf = f32x4.splat(-Infinity);
  for (let b = blockBegin; b < blockEnd; b++) {
    let live: u32 = mask != 0 ? load<u32>(mask + (<usize>b << 2)) : 0xffffffff;
    const left = count - (b << 5);
    if (left < 32) live &= left <= 0 ? 0 : (<u32>1 << <u32>left) - 1;
    const codes = blocks + <usize>b * blockBytes;
    const vscales = scales + (<usize>b << 7);
    const voffsets = offsets + (<usize>b << 7);
    for (let a = 0; a < m; a++) {
      const o = out + ((<usize>a * tile + (<usize>(b - blockBegin) << 5)) << 2);
      const p = params + <usize>a * paramBytes;
      const lut = luts + <usize>a * lutBytes;
      const mul = f32x4.splat(load<f32>(p));
      const bar = bars != 0 ? load<f32>(bars + (<usize>a << 2)) : -Infinity;
      const prune = bar > -Infinity && load<f32>(p, 4) >= 0;
      let alive = live;
      // Totals accumulate in u32 in the output slots, then become scores in place.
      for (let j: usize = 0; j < 128; j += 16) v128.store(o + j, i32x4.splat(0));
      for (let s = 0; s < stages && alive != 0; s++) {
        const lower = (alive & 0xffff) != 0;
        const upper = (alive >> 16) != 0;
        if (threeBit) {
          const u0 = s * LUT3_STAGE_UNITS;
          const u1 = min(units, u0 + LUT3_STAGE_UNITS);
          if (lower && upper) stage3Both(codes, lut, u0, u1, o);
          else stage3Half(codes, lut, u0, u1, lower ? 0 : 16, o);
        } else {
          const g0 = s * LUT_STAGE_GROUPS;
          const g1 = min(groups, g0 + LUT_STAGE_GROUPS);
          if (lower && upper) stageBoth(codes, lut, g0, g1, o);
          else stageHalf(codes, lut, g0, g1, lower ? 0 : 16, o);
        }
        if (!prune || s + 1 == stages) continue;
        // Early exit: drop vectors whose partial estimate falls more than the margin below its share of the bar.
        const stage = p + (<usize>(LUT_PARAM_HEAD + LUT_STAGE_PARAMS * s) << 2);
        const off = f32x4.splat(load<f32>(stage));
        const fV = f32x4.splat(load<f32>(stage, 4));
        const sq = f32x4.splat(load<f32>(stage, 8));
        const barV = f32x4.splat(bar);
        for (let q = 0; q < 8; q++) {
          if (((alive >> (<u32>q << 2)) & 15) == 0) continue;
          let d = f32x4.add(f32x4.mul(f32x4.convert_i32x4_u(v128.load(o + (<usize>q << 4))), mul), off);
          let need = barV;
          let margin = sq;
          if (scales != 0) {
            const sc = v128.load(vscales + (<usize>q << 4));
            d = f32x4.mul(d, sc);
            margin = f32x4.mul(sc, sq);
          }
          if (offsets != 0) need = f32x4.sub(barV, v128.load(voffsets + (<usize>q << 4)));
          need = f32x4.sub(f32x4.mul(fV, need), margin);
          const dropped = <u32>i32x4.bitmask(f32x4.lt(d, need));
          alive &= ~(dropped << (<u32>q << 2));
        }
      }
      const total = f32x4.splat(load<f32>(p + (<usize>(LUT_PARAM_HEAD + LUT_STAGE_PARAMS * (stages - 1)) << 2)));
      for (let q = 0; q < 8; q++) {
        const at = o + (<usize>q << 4);
        let score = f32x4.add(f32x4.mul(f32x4.convert_i32x4_u(v128.load(at)), mul), total);
        if (scales != 0) score = f32x4.mul(score, v128.load(vscales + (<usize>q << 4)));
        if (offsets != 0) score = f32x4.add(score, v128.load(voffsets + (<usize>q << 4)));
        v128.store(at, v128.bitselect(score, minusInf, quadLanes(alive, q)));
      }
    }
  }
}

/** Byte offset, inside a 32-byte group, of lane `lane` (0..31) of a block. */
// @ts-ignore: decorator
@inline function laneByte(lane: i32): usize {
  const r = lane & 15;
  return <usize>((lane & 16) + (r < 8 ? r << 1 : ((r - 8) << 1) + 1));
}

/**
 * Float32 scores of single vectors from their blocked codes (the exact float correction of a
 * shortlist); see `LutKernels.lutScoreVectors`.
 */
export function lutScoreVectors(lut: usize, positions: i32, blocks: usize, scales: usize, offsets: usize, vectors: usize, n: i32, out: usize): void {
  const groups = positions >> 1;
  const blockBytes = <usize>groups << 5;
  for (let i = 0; i < n; i++) {
    const v = load<i32>(vectors + (<usize>i << 2));
    let c = blocks + <usize>(v >> 5) * blockBytes + laneByte(v & 31);
    let t = lut;
    let s: f32 = 0;
    for (let g = 0; g < groups; g++) {
      const code = <usize>load<u8>(c);
      s += load<f32>(t + ((code >> 4) << 2));
      s += load<f32>(t + ((code & 15) << 2), 64);
      c += 32;
      t += 128;
    }
    if (scales != 0) s *= load<f32>(scales + (<usize>v << 2));
    if (offsets != 0) s += load<f32>(offsets + (<usize>v << 2));
    store<f32>(out + (<usize>i << 2), s);
  }
}

/** `lutScoreVectors` over rows in the 3-bit layout; see `LutKernels.lutScoreVectors3`. */
export function lutScoreVectors3(lut: usize, coords: i32, blocks: usize, scales: usize, offsets: usize, vectors: usize, n: i32, out: usize): void {
  const units = coords >> 3;
  const blockBytes = <usize>units * LUT3_UNIT_BYTES;
  for (let i = 0; i < n; i++) {
    const v = load<i32>(vectors + (<usize>i << 2));
    let c = blocks + <usize>(v >> 5) * blockBytes + laneByte(v & 31);
    let t = lut;
    let s: f32 = 0;
    for (let u = 0; u < units; u++) {
      const x = <usize>load<u8>(c);
      const y = <usize>load<u8>(c, 32);
      const z = <usize>load<u8>(c, 64);
      s += load<f32>(t + (((x >> 4) & 7) << 2));
      s += load<f32>(t + ((x & 7) << 2), 64);
      s += load<f32>(t + (((y >> 4) & 7) << 2), 128);
      s += load<f32>(t + ((y & 7) << 2), 192);
      s += load<f32>(t + (((z >> 4) & 7) << 2), 256);
      s += load<f32>(t + ((z & 7) << 2), 320);
      s += load<f32>(t + ((((x >> 3) & 1) | ((y >> 2) & 2) | ((z >> 1) & 4)) << 2), 384);
      s += load<f32>(t + (((x >> 7) | ((y >> 6) & 2) | ((z >> 5) & 4)) << 2), 448);
      c += LUT3_UNIT_BYTES;
      t += 512;
    }
    if (scales != 0) s *= load<f32>(scales + (<usize>v << 2));
    if (offsets != 0) s += load<f32>(offsets + (<usize>v << 2));
    store<f32>(out + (<usize>i << 2), s);
  }
}

/** Bit k of byte `b` moved to bit 4k. */
// @ts-ignore: decorator
@inline function spreadTo4(b: u32): u32 {
  b = (b | (b << 12)) & 0x000f000f;
  b = (b | (b << 6)) & 0x03030303;
  return (b | (b << 3)) & 0x11111111;
}

/** Bit k of byte `b` moved to bit 2k. */
// @ts-ignore: decorator
@inline function spreadTo2(b: u32): u32 {
  b = (b | (b << 4)) & 0x0f0f;
  b = (b | (b << 2)) & 0x3333;
  return (b | (b << 1)) & 0x5555;
}

/**
 * Writes n bit-plane packed rows (TurboQuant's layout) of 1, 2 or 4 bits into rows [first, first + n)
 * of the blocked layout; see `LutKernels.lutStorePackedRows`.
 */
export function lutStorePackedRows(blocks: usize, positions: i32, first: i32, packed: usize, n: i32, bits: i32): void {
  const plane = <usize>(positions / (bits << 1));
  const rowBytes = plane * <usize>bits;
  const blockBytes = <usize>positions << 4;
  for (let i = 0; i < n; i++) {
    const v = first + i;
    let out = blocks + <usize>(v >> 5) * blockBytes + laneByte(v & 31);
    let at = packed + <usize>i * rowBytes;
    const end = at + plane;
    if (bits == 4) {
      // Eight 4-bit codes, the first coordinate in the top nibble: four blocked bytes.
      for (; at < end; at++) {
        const word =
          spreadTo4(<u32>load<u8>(at)) |
          (spreadTo4(<u32>load<u8>(at + plane)) << 1) |
          (spreadTo4(<u32>load<u8>(at + 2 * plane)) << 2) |
          (spreadTo4(<u32>load<u8>(at + 3 * plane)) << 3);
        store<u8>(out, <u8>(word >>> 24));
        store<u8>(out, <u8>(word >>> 16), 32);
        store<u8>(out, <u8>(word >>> 8), 64);
        store<u8>(out, <u8>word, 96);
        out += 128;
      }
    } else if (bits == 2) {
      for (; at < end; at++) {
        const word = spreadTo2(<u32>load<u8>(at)) | (spreadTo2(<u32>load<u8>(at + plane)) << 1);
        store<u8>(out, <u8>(word >>> 8));
        store<u8>(out, <u8>word, 32);
        out += 64;
      }
    } else {
      for (; at < end; at++) {
        store<u8>(out, load<u8>(at));
        out += 32;
      }
    }
  }
}

/** Bits 1 and 0 of plane byte `p` (bit j of a unit's 7th and 8th codes) moved to bits 3 and 7. */
// @ts-ignore: decorator
@inline function spareBits(p: u32): u32 {
  return ((p & 2) << 2) | ((p & 1) << 7);
}

/**
 * Writes n 3-bit bit-plane packed rows into rows [first, first + n) of the 3-bit layout; see
 * `LutKernels.lutStorePackedRows3`.
 */
export function lutStorePackedRows3(blocks: usize, coords: i32, first: i32, packed: usize, n: i32): void {
  const plane = <usize>(coords >> 3);
  const blockBytes = plane * LUT3_UNIT_BYTES;
  for (let i = 0; i < n; i++) {
    const v = first + i;
    let out = blocks + <usize>(v >> 5) * blockBytes + laneByte(v & 31);
    let at = packed + <usize>i * plane * 3;
    const end = at + plane;
    for (; at < end; at++) {
      const p0 = <u32>load<u8>(at);
      const p1 = <u32>load<u8>(at + plane);
      const p2 = <u32>load<u8>(at + 2 * plane);
      // The eight codes in nibbles, the first on top; byte j takes codes 2j and 2j + 1 and plane j's spare bits.
      const word = spreadTo4(p0) | (spreadTo4(p1) << 1) | (spreadTo4(p2) << 2);
      store<u8>(out, <u8>(((word >>> 24) & 0x77) | spareBits(p0)));
      store<u8>(out, <u8>(((word >>> 16) & 0x77) | spareBits(p1)), 32);
      store<u8>(out, <u8>(((word >>> 8) & 0x77) | spareBits(p2)), 64);
      out += LUT3_UNIT_BYTES;
    }
  }
}

/** Copies rows between blocked layouts, pair by pair in order; see `LutKernels.lutCopyRows`. */
export function lutCopyRows(src: usize, dst: usize, positions: i32, pairs: usize, n: i32): void {
  const blockBytes = <usize>positions << 4;
  const groups = positions >> 1;
  for (let i = 0; i < n; i++) {
    const from = load<i32>(pairs + (<usize>i << 3));
    const to = load<i32>(pairs + (<usize>i << 3), 4);
    let s = src + <usize>(from >> 5) * blockBytes + laneByte(from & 31);
    let d = dst + <usize>(to >> 5) * blockBytes + laneByte(to & 31);
    for (let g = groups; g > 0; g--) {
      store<u8>(d, load<u8>(s));
      s += 32;
      d += 32;
    }
  }
}
