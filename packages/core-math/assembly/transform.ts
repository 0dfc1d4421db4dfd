// Vector transforms: TurboQuant's randomized Hadamard rotation (a permutation, sign flips and a
// normalized Walsh-Hadamard transform per round) and its fused row encoder (norm, rotation,
// calibration, code lookup, reconstruction inner product, bit-plane packing). The layouts and the
// exact arithmetic are specified in src/kernels/transform-kernels.ts, whose TypeScript
// implementation gives bit-identical results: each f32x4 / f64x2 lane below computes the scalar
// reference's operations in the same order, and SIMD add, sub and mul are single IEEE operations.
//
// The module allocates nothing and has no static data.

/** At or below this norm a row has no direction: it is rotated with inverse norm 0. */
const MIN_NORM: f32 = 1e-10;
/** Reconstruction inner products at or below this give scale 0. */
const DEGENERATE_INNER: f64 = 0.1;
/** Values of this magnitude or more (or NaN) make a row invalid (turbovec's input cap). */
const MAX_MAGNITUDE: f32 = 1e16;
/** Up to this many boundaries the code is a SIMD count of every boundary below x; above, a binary search. */
const MAX_COUNTED_BOUNDARIES: i32 = 15;

// ---------------------------------------------------------------------------------------------------
// The rotation

/** The address of `src[perm[k]]`, `offset` = 4k being a constant. */
// @ts-ignore: decorator
@inline function gathered(src: usize, perm: usize, offset: usize): usize {
  return src + (<usize>load<i32>(perm + offset) << 2);
}

/**
 * One round over one row of `dim` values: dst[i] = (src[perm[i]] · inv) · sign[i], then the
 * normalized Walsh-Hadamard transform of every `block`-long run of dst. Stages len = 1, 2, 4 run
 * in registers on each gathered group of eight (gathered as even and odd lanes, so stage 1 is
 * lane-wise); the wider stages run in memory passes.
 */
function rotationRound(src: usize, dst: usize, dim: i32, block: i32, perm: usize, sign: usize, inv: f32, scale: f32): void {
  const invs = f32x4.splat(inv);
  const firstScale = f32x4.splat(block == 8 ? scale : 1);
  const end = dst + (<usize>dim << 2);
  for (let o = dst; o < end; o += 32) {
    let even = v128.load32_zero(gathered(src, perm, 0));
    even = v128.load32_lane(gathered(src, perm, 8), even, 1);
    even = v128.load32_lane(gathered(src, perm, 16), even, 2);
    even = v128.load32_lane(gathered(src, perm, 24), even, 3);
    let odd = v128.load32_zero(gathered(src, perm, 4));
    odd = v128.load32_lane(gathered(src, perm, 12), odd, 1);
    odd = v128.load32_lane(gathered(src, perm, 20), odd, 2);
    odd = v128.load32_lane(gathered(src, perm, 28), odd, 3);
    const s0 = v128.load(sign);
    const s1 = v128.load(sign, 16);
    even = f32x4.mul(f32x4.mul(even, invs), f32x4.shuffle(s0, s1, 0, 2, 4, 6));
    odd = f32x4.mul(f32x4.mul(odd, invs), f32x4.shuffle(s0, s1, 1, 3, 5, 7));
    // len 1: (x0 ± x1, x2 ± x3, x4 ± x5, x6 ± x7)
    const sum = f32x4.add(even, odd);
    const diff = f32x4.sub(even, odd);
    // len 2: (s01, d01, s45, d45) ± (s23, d23, s67, d67) = (y0, y1, y4, y5) and (y2, y3, y6, y7)
    const p = f32x4.shuffle(sum, diff, 0, 4, 2, 6);
    const q = f32x4.shuffle(sum, diff, 1, 5, 3, 7);
    const e = f32x4.add(p, q);
    const f = f32x4.sub(p, q);
    // len 4: (y0, y1, y2, y3) ± (y4, y5, y6, y7)
    const lo = f32x4.shuffle(e, f, 0, 1, 4, 5);
    const hi = f32x4.shuffle(e, f, 2, 3, 6, 7);
    v128.store(o, f32x4.mul(f32x4.add(lo, hi), firstScale));
    v128.store(o, f32x4.mul(f32x4.sub(lo, hi), firstScale), 16);
    perm += 32;
    sign += 32;
  }
  if (block > 8) {
    const blockBytes = <usize>block << 2;
    for (let b = dst; b < end; b += blockBytes) hadamardAbove8(b, blockBytes, scale);
  }
}

/**
 * Stages len = 8 .. block/2 of one block at `x` (`bytes` long), in place: three stages per memory
 * pass while three remain, then two, then one; `scale` multiplies the last stage (1 elsewhere).
 */
function hadamardAbove8(x: usize, bytes: usize, scale: f32): void {
  const end = x + bytes;
  let step: usize = 32; // len 8, in bytes
  while (step << 3 <= bytes) {
    const s = f32x4.splat(step << 3 == bytes ? scale : 1);
    for (let i = x; i < end; i += step << 3) {
      for (let j = i; j < i + step; j += 16) {
        const a = v128.load(j);
        const b = v128.load(j + step);
        const c = v128.load(j + 2 * step);
        const d = v128.load(j + 3 * step);
        const e = v128.load(j + 4 * step);
        const f = v128.load(j + 5 * step);
        const g = v128.load(j + 6 * step);
        const h = v128.load(j + 7 * step);
        const apb = f32x4.add(a, b), amb = f32x4.sub(a, b), cpd = f32x4.add(c, d), cmd = f32x4.sub(c, d);
        const epf = f32x4.add(e, f), emf = f32x4.sub(e, f), gph = f32x4.add(g, h), gmh = f32x4.sub(g, h);
        const s0 = f32x4.add(apb, cpd), s1 = f32x4.add(amb, cmd), s2 = f32x4.sub(apb, cpd), s3 = f32x4.sub(amb, cmd);
        const s4 = f32x4.add(epf, gph), s5 = f32x4.add(emf, gmh), s6 = f32x4.sub(epf, gph), s7 = f32x4.sub(emf, gmh);
        v128.store(j, f32x4.mul(f32x4.add(s0, s4), s));
        v128.store(j + step, f32x4.mul(f32x4.add(s1, s5), s));
        v128.store(j + 2 * step, f32x4.mul(f32x4.add(s2, s6), s));
        v128.store(j + 3 * step, f32x4.mul(f32x4.add(s3, s7), s));
        v128.store(j + 4 * step, f32x4.mul(f32x4.sub(s0, s4), s));
        v128.store(j + 5 * step, f32x4.mul(f32x4.sub(s1, s5), s));
        v128.store(j + 6 * step, f32x4.mul(f32x4.sub(s2, s6), s));
        v128.store(j + 7 * step, f32x4.mul(f32x4.sub(s3, s7), s));
      }
    }
    step <<= 3;
  }
  if (step << 2 <= bytes) {
    const s = f32x4.splat(step << 2 == bytes ? scale : 1);
    for (let i = x; i < end; i += step << 2) {
      for (let j = i; j < i + step; j += 16) {
        const a = v128.load(j);
        const b = v128.load(j + step);
        const c = v128.load(j + 2 * step);
        const d = v128.load(j + 3 * step);
        const apb = f32x4.add(a, b), amb = f32x4.sub(a, b), cpd = f32x4.add(c, d), cmd = f32x4.sub(c, d);
        v128.store(j, f32x4.mul(f32x4.add(apb, cpd), s));
        v128.store(j + step, f32x4.mul(f32x4.add(amb, cmd), s));
        v128.store(j + 2 * step, f32x4.mul(f32x4.sub(apb, cpd), s));
        v128.store(j + 3 * step, f32x4.mul(f32x4.sub(amb, cmd), s));
      }
    }
    step <<= 2;
  }
  if (step < bytes) {
    const s = f32x4.splat(scale);
    for (let i = x; i < end; i += step << 1) {
      for (let j = i; j < i + step; j += 16) {
        const a = v128.load(j);
        const b = v128.load(j + step);
        v128.store(j, f32x4.mul(f32x4.add(a, b), s));
        v128.store(j + step, f32x4.mul(f32x4.sub(a, b), s));
      }
    }
  }
}

/** 1 / √block in f32, as the reference rounds it. */
// @ts-ignore: decorator
@inline function hadamardScale(block: i32): f32 {
  return <f32>(1.0 / <f64><f32>Math.sqrt(<f64>block));
}

/**
 * All rounds of one row from `src` into `dst`, the first round's gather scaled by `inv`. Rounds
 * alternate between `dst` and `scratch` so that the last one lands in `dst`.
 */
function rotateRow(src: usize, dst: usize, scratch: usize, dim: i32, block: i32, rounds: i32, tables: usize, inv: f32): void {
  const scale = hadamardScale(block);
  const tableBytes = <usize>dim << 2;
  let from = src;
  for (let r = 0; r < rounds; r++) {
    const to = ((rounds - 1 - r) & 1) == 0 ? dst : scratch;
    const perm = tables + <usize>r * 2 * tableBytes;
    rotationRound(from, to, dim, block, perm, perm + tableBytes, r == 0 ? inv : 1, scale);
    from = to;
  }
}

/** turbovec's norm: eight f32 chains (j % 8), ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)), sqrt. */
function turbovecNorm(src: usize, dim: i32): f32 {
  let a = f32x4.splat(0);
  let b = f32x4.splat(0);
  const end = src + (<usize>dim << 2);
  for (let p = src; p < end; p += 32) {
    const x = v128.load(p);
    const y = v128.load(p, 16);
    a = f32x4.add(a, f32x4.mul(x, x));
    b = f32x4.add(b, f32x4.mul(y, y));
  }
  const low: f32 = (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
  const high: f32 = (f32x4.extract_lane(b, 0) + f32x4.extract_lane(b, 1)) + (f32x4.extract_lane(b, 2) + f32x4.extract_lane(b, 3));
  return <f32>Math.sqrt(<f64>(low + high));
}

/** True when every value of the row has magnitude below f32(1e16) (so none is NaN or infinite). */
function inRange(row: usize, dim: i32): bool {
  const limit = f32x4.splat(MAX_MAGNITUDE);
  let ok = i32x4.splat(-1);
  const end = row + (<usize>dim << 2);
  for (let p = row; p < end; p += 32) {
    ok = v128.and(ok, v128.and(f32x4.lt(f32x4.abs(v128.load(p)), limit), f32x4.lt(f32x4.abs(v128.load(p, 16)), limit)));
  }
  return i32x4.all_true(ok);
}

// @ts-ignore: decorator
@inline function inverseNorm(norm: f32): f32 {
  return norm > MIN_NORM ? <f32>(1.0 / <f64>norm) : 0;
}

export function hadamardRotateRows(
  src: usize,
  n: i32,
  dim: i32,
  block: i32,
  rounds: i32,
  tables: usize,
  normalize: bool,
  dst: usize,
  scratch: usize,
): void {
  const rowBytes = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    const row = src + <usize>i * rowBytes;
    const inv: f32 = normalize ? inverseNorm(turbovecNorm(row, dim)) : 1;
    rotateRow(row, dst + <usize>i * rowBytes, scratch, dim, block, rounds, tables, inv);
  }
}

// ---------------------------------------------------------------------------------------------------
// The encoder

/** Per lane, the number of the ascending boundaries (`levels` − 1 of them, `levels` a power of two) strictly below x: a binary search. */
// @ts-ignore: decorator
@inline function searchBelow(x: v128, boundaries: usize, levels: i32): v128 {
  let code = i32x4.splat(0);
  for (let step = levels >> 1; step > 0; step >>= 1) {
    const at = i32x4.add(code, i32x4.splat(step - 1));
    let t = f32x4.splat(load<f32>(boundaries + (<usize>i32x4.extract_lane(at, 0) << 2)));
    t = f32x4.replace_lane(t, 1, load<f32>(boundaries + (<usize>i32x4.extract_lane(at, 1) << 2)));
    t = f32x4.replace_lane(t, 2, load<f32>(boundaries + (<usize>i32x4.extract_lane(at, 2) << 2)));
    t = f32x4.replace_lane(t, 3, load<f32>(boundaries + (<usize>i32x4.extract_lane(at, 3) << 2)));
    code = i32x4.add(code, v128.and(f32x4.lt(t, x), i32x4.splat(step)));
  }
  return code;
}

/** The values coded at byte offset `at` of the row: u, or f32(f32(u + shift) · scale) calibrated. */
// @ts-ignore: decorator
@inline function codedValues(u: usize, at: usize, calibration: usize, dimBytes: usize, calibrated: bool): v128 {
  const uv = v128.load(u + at);
  return calibrated ? f32x4.mul(f32x4.add(uv, v128.load(calibration + at)), v128.load(calibration + dimBytes + at)) : uv;
}

/**
 * Codes of 16 values (four f32x4) as the bytes of one vector: per value, the number of the `count`
 * boundaries strictly below it. Up to 15 boundaries, each is compared with every value (the
 * compare masks narrowed to bytes, so one subtract counts sixteen values); more are binary searched.
 */
// @ts-ignore: decorator
@inline function codes16(x0: v128, x1: v128, x2: v128, x3: v128, boundaries: usize, count: i32): v128 {
  if (count <= MAX_COUNTED_BOUNDARIES) {
    let code = i8x16.splat(0);
    const end = boundaries + (<usize>count << 2);
    for (let b = boundaries; b < end; b += 4) {
      const t = v128.load32_splat(b);
      const low = i16x8.narrow_i32x4_s(f32x4.lt(t, x0), f32x4.lt(t, x1));
      const high = i16x8.narrow_i32x4_s(f32x4.lt(t, x2), f32x4.lt(t, x3));
      code = i8x16.sub(code, i8x16.narrow_i16x8_s(low, high));
    }
    return code;
  }
  const levels = count + 1;
  const low = i16x8.narrow_i32x4_u(searchBelow(x0, boundaries, levels), searchBelow(x1, boundaries, levels));
  const high = i16x8.narrow_i32x4_u(searchBelow(x2, boundaries, levels), searchBelow(x3, boundaries, levels));
  return i8x16.narrow_i16x8_u(low, high);
}

/** The codes of the `dim` coded values of the rotated row `u`, as bytes at `codes`. */
// @ts-ignore: decorator
@inline function codeRow(u: usize, dim: i32, bits: i32, boundaries: usize, calibration: usize, calibrated: bool, codes: usize): void {
  const dimBytes = <usize>dim << 2;
  const count = (1 << bits) - 1;
  let at: usize = 0;
  for (; at + 64 <= dimBytes; at += 64) {
    const x0 = codedValues(u, at, calibration, dimBytes, calibrated);
    const x1 = codedValues(u, at + 16, calibration, dimBytes, calibrated);
    const x2 = codedValues(u, at + 32, calibration, dimBytes, calibrated);
    const x3 = codedValues(u, at + 48, calibration, dimBytes, calibrated);
    v128.store(codes + (at >> 2), codes16(x0, x1, x2, x3, boundaries, count));
  }
  if (at < dimBytes) {
    // The last eight values (dim is a multiple of 8); lanes 8..15 repeat them and are dropped.
    const x0 = codedValues(u, at, calibration, dimBytes, calibrated);
    const x1 = codedValues(u, at + 16, calibration, dimBytes, calibrated);
    v128.store64_lane(codes + (at >> 2), codes16(x0, x1, x0, x1, boundaries, count), 0);
  }
}

/** Centroids a and b as the f64 lanes of one vector. */
// @ts-ignore: decorator
@inline function centroidPair(centroids: usize, a: u8, b: u8): v128 {
  return v128.load64_lane(centroids + (<usize>b << 3), v128.load64_zero(centroids + (<usize>a << 3)), 1);
}

/**
 * The reconstruction inner product Σ_d u[d] · (centroid[code_d] · invScale[d] − shift[d]) in f64,
 * term d in chain d % 4, returned as (c0 + c1) + (c2 + c3). Uncalibrated, the term is
 * u[d] · centroid[code_d].
 */
// @ts-ignore: decorator
@inline function reconstructionInner(u: usize, dim: i32, codes: usize, centroids: usize, calibration: usize, calibrated: bool): f64 {
  const dimBytes = <usize>dim << 2;
  let acc01 = f64x2.splat(0);
  let acc23 = f64x2.splat(0);
  let code = codes;
  for (let at: usize = 0; at < dimBytes; at += 16) {
    const uv = v128.load(u + at);
    let c01 = centroidPair(centroids, load<u8>(code), load<u8>(code, 1));
    let c23 = centroidPair(centroids, load<u8>(code, 2), load<u8>(code, 3));
    if (calibrated) {
      // f64 shifts and inverse scales, two per vector, after the float32 shifts and scales.
      const wide = calibration + 2 * dimBytes + (at << 1);
      const wideScales = wide + (dimBytes << 1);
      c01 = f64x2.sub(f64x2.mul(c01, v128.load(wideScales)), v128.load(wide));
      c23 = f64x2.sub(f64x2.mul(c23, v128.load(wideScales, 16)), v128.load(wide, 16));
    }
    acc01 = f64x2.add(acc01, f64x2.mul(f64x2.promote_low_f32x4(uv), c01));
    acc23 = f64x2.add(acc23, f64x2.mul(f64x2.promote_low_f32x4(f32x4.shuffle(uv, uv, 2, 3, 2, 3)), c23));
    code += 4;
  }
  return (f64x2.extract_lane(acc01, 0) + f64x2.extract_lane(acc01, 1)) + (f64x2.extract_lane(acc23, 0) + f64x2.extract_lane(acc23, 1));
}

/**
 * Bit planes of `dim` byte codes: plane p (dim / 8 bytes, at out + p · dim / 8) holds bit p of
 * coordinate 8c + k at bit 7 − k of byte c. Reversing each eight lanes puts coordinate 8c first,
 * shifts bring bit p to each byte's top bit, and `bitmask` collects those.
 */
function packPlanes(codes: usize, dim: i32, bits: i32, out: usize): void {
  const plane = <usize>dim >> 3;
  const top = <usize>(bits - 1) * plane;
  let c: usize = 0;
  for (; c + 16 <= <usize>dim; c += 16) {
    const v = v128.load(codes + c);
    // Highest plane first: bit bits−1 moved to bit 7 of each byte, then one more bit per doubling.
    // (A 16-bit lane shift moves each byte's own lower bits into its bit 7.)
    let r = i16x8.shl(i8x16.shuffle(v, v, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8), 8 - bits);
    for (let o = out + top + (c >> 3); o >= out; o -= plane) {
      store<u16>(o, <u16>i8x16.bitmask(r));
      r = i16x8.add(r, r);
    }
  }
  if (c < <usize>dim) {
    const v = v128.load64_zero(codes + c);
    let r = i16x8.shl(i8x16.shuffle(v, v, 7, 6, 5, 4, 3, 2, 1, 0, 8, 9, 10, 11, 12, 13, 14, 15), 8 - bits);
    for (let o = out + top + (c >> 3); o >= out; o -= plane) {
      store<u8>(o, <u8>i8x16.bitmask(r));
      r = i16x8.add(r, r);
    }
  }
}

// @ts-ignore: decorator
@inline function encodeRows(
  src: usize,
  n: i32,
  dim: i32,
  block: i32,
  rounds: i32,
  tables: usize,
  bits: i32,
  boundaries: usize,
  centroids: usize,
  calibration: usize,
  calibrated: bool,
  codes: usize,
  scales: usize,
  scratch: usize,
): i32 {
  const rowBytes = <usize>dim << 2;
  const codeBytes = (<usize>dim * <usize>bits) >> 3;
  let firstInvalid = n;
  const u = scratch;
  const between = scratch + rowBytes;
  const rowCodes = between + rowBytes;
  for (let i = 0; i < n; i++) {
    const row = src + <usize>i * rowBytes;
    if (firstInvalid == n && !inRange(row, dim)) firstInvalid = i;
    const norm = turbovecNorm(row, dim);
    rotateRow(row, u, between, dim, block, rounds, tables, inverseNorm(norm));
    codeRow(u, dim, bits, boundaries, calibration, calibrated, rowCodes);
    const inner = reconstructionInner(u, dim, rowCodes, centroids, calibration, calibrated);
    packPlanes(rowCodes, dim, bits, codes + <usize>i * codeBytes);
    store<f32>(scales + (<usize>i << 2), inner > DEGENERATE_INNER ? <f32>(<f64>norm / <f64><f32>inner) : 0);
  }
  return firstInvalid;
}

export function turboQuantEncodeRows(
  src: usize,
  n: i32,
  dim: i32,
  block: i32,
  rounds: i32,
  tables: usize,
  bits: i32,
  boundaries: usize,
  centroids: usize,
  calibration: usize,
  codes: usize,
  scales: usize,
  scratch: usize,
): i32 {
  return calibration != 0
    ? encodeRows(src, n, dim, block, rounds, tables, bits, boundaries, centroids, calibration, true, codes, scales, scratch)
    : encodeRows(src, n, dim, block, rounds, tables, bits, boundaries, centroids, 0, false, codes, scales, scratch);
}
