// Quiver's WebAssembly SIMD128 kernels. Compiled by scripts/build-wasm.mjs into two modules (shared and
// non-shared imported memory); loaded by src/kernels/wasm-kernels.ts.
//
// Contract (see src/kernels/types.ts): pointers are byte offsets into the imported memory, results are
// bit-identical to src/kernels/js-kernels.ts. Float sums follow the canonical order: one f32x4
// accumulator per (query, row) pair over the first dim - dim % 4 values, then
// s = (a0 + a2) + (a1 + a3), then the remaining values added one by one. No FMA, f32 rounding throughout.
//
// The module allocates nothing and has no static data: instantiating it never writes to the memory.

/** Bytes of rows per block in the batch kernels: a block stays in L2 while every query sweeps it (48-192 KiB measured alike). */
const ROW_BLOCK_BYTES: usize = 96 * 1024;

// ---------------------------------------------------------------------------------------------------
// float32 helpers

/** One lane-wise term of the sum: q * x, or (q - x)² for squared L2. */
// @ts-ignore: decorator
@inline function term(q: v128, x: v128, l2: bool): v128 {
  if (l2) {
    const t = f32x4.sub(q, x);
    return f32x4.mul(t, t);
  }
  return f32x4.mul(q, x);
}

// @ts-ignore: decorator
@inline function termScalar(q: f32, x: f32, l2: bool): f32 {
  if (l2) {
    const t = q - x;
    return t * t;
  }
  return q * x;
}

/** The canonical reduction of one accumulator: (a0 + a2) + (a1 + a3). */
// @ts-ignore: decorator
@inline function reduce1(a: v128): f32 {
  const t = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1);
}

/** The canonical reduction of four accumulators at once: lane r holds (r0 + r2) + (r1 + r3) of accumulator r. */
// @ts-ignore: decorator
@inline function reduce4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 1, 4, 5), v128.shuffle<f32>(a, b, 2, 3, 6, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 1, 4, 5), v128.shuffle<f32>(c, d, 2, 3, 6, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 2, 4, 6), v128.shuffle<f32>(ab, cd, 1, 3, 5, 7));
}

/** Adds the scalar tail (byte offsets j0 until end) of one query against rows x, x + stride, x + 2 stride, x + 3 stride. */
// @ts-ignore: decorator
@inline function tail4(s: v128, q: usize, x: usize, stride: usize, j0: usize, end: usize, l2: bool): v128 {
  for (let j = j0; j < end; j += 4) {
    let xv = f32x4.splat(load<f32>(x + j));
    xv = f32x4.replace_lane(xv, 1, load<f32>(x + stride + j));
    xv = f32x4.replace_lane(xv, 2, load<f32>(x + 2 * stride + j));
    xv = f32x4.replace_lane(xv, 3, load<f32>(x + 3 * stride + j));
    s = f32x4.add(s, term(f32x4.splat(load<f32>(q + j)), xv, l2));
  }
  return s;
}

/** One (query, row) pair in the canonical order. */
// @ts-ignore: decorator
@inline function pair(q: usize, x: usize, d4: usize, end: usize, l2: bool): f32 {
  let a = f32x4.splat(0);
  let j: usize = 0;
  for (; j < d4; j += 16) a = f32x4.add(a, term(v128.load(q + j), v128.load(x + j), l2));
  let s = reduce1(a);
  for (; j < end; j += 4) s += termScalar(load<f32>(q + j), load<f32>(x + j), l2);
  return s;
}

/**
 * One query against n rows, one row at a time. A single sequential stream is the fastest way through
 * memory here: interleaving several rows measured 20-40% slower (more concurrent streams at a
 * power-of-two-ish stride), and out-of-order execution already overlaps consecutive rows.
 */
// @ts-ignore: decorator
@inline function floatMany(q: usize, rows: usize, n: i32, dim: i32, out: usize, l2: bool): void {
  const stride = <usize>dim << 2;
  const d4 = <usize>(dim & ~3) << 2;
  const d16 = <usize>(dim & ~15) << 2;
  let x = rows;
  for (let i = 0; i < n; i++) {
    let a = f32x4.splat(0);
    let j: usize = 0;
    for (; j < d16; j += 64) {
      a = f32x4.add(a, term(v128.load(q + j), v128.load(x + j), l2));
      a = f32x4.add(a, term(v128.load(q + j, 16), v128.load(x + j, 16), l2));
      a = f32x4.add(a, term(v128.load(q + j, 32), v128.load(x + j, 32), l2));
      a = f32x4.add(a, term(v128.load(q + j, 48), v128.load(x + j, 48), l2));
    }
    for (; j < d4; j += 16) a = f32x4.add(a, term(v128.load(q + j), v128.load(x + j), l2));
    let s = reduce1(a);
    for (; j < stride; j += 4) s += termScalar(load<f32>(q + j), load<f32>(x + j), l2);
    store<f32>(out + (<usize>i << 2), s);
    x += stride;
  }
}

/**
 * Queries a and a + 1 against rows i..i+3 of a block: a 2 × 4 register tile of eight accumulators,
 * so each loaded query vector is used four times and each row vector twice.
 */
// @ts-ignore: decorator
@inline function tile2x4(q0: usize, q1: usize, x: usize, stride: usize, d4: usize, o0: usize, o1: usize, l2: bool): void {
  const x1 = x + stride;
  const x2 = x1 + stride;
  const x3 = x2 + stride;
  let a0 = f32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let b0 = a0;
  let b1 = a0;
  let b2 = a0;
  let b3 = a0;
  for (let j: usize = 0; j < d4; j += 16) {
    const qa = v128.load(q0 + j);
    const qb = v128.load(q1 + j);
    let xv = v128.load(x + j);
    a0 = f32x4.add(a0, term(qa, xv, l2));
    b0 = f32x4.add(b0, term(qb, xv, l2));
    xv = v128.load(x1 + j);
    a1 = f32x4.add(a1, term(qa, xv, l2));
    b1 = f32x4.add(b1, term(qb, xv, l2));
    xv = v128.load(x2 + j);
    a2 = f32x4.add(a2, term(qa, xv, l2));
    b2 = f32x4.add(b2, term(qb, xv, l2));
    xv = v128.load(x3 + j);
    a3 = f32x4.add(a3, term(qa, xv, l2));
    b3 = f32x4.add(b3, term(qb, xv, l2));
  }
  const sa = reduce4(a0, a1, a2, a3);
  const sb = reduce4(b0, b1, b2, b3);
  v128.store(o0, tail4(sa, q0, x, stride, d4, stride, l2));
  v128.store(o1, tail4(sb, q1, x, stride, d4, stride, l2));
}

/**
 * Reads a block once front to back, one load per cache line, so it sits in cache before the
 * register tiles walk it four rows at a time (a pattern the hardware prefetcher serves poorly).
 */
// @ts-ignore: decorator
@inline function touch(ptr: usize, bytes: usize): void {
  for (let j: usize = 0; j < bytes; j += 64) load<u8>(ptr + j);
}

/** m queries against n rows, out query-major (m × n), blocked so a block of rows stays in cache. */
// @ts-ignore: decorator
@inline function floatBatch(queries: usize, m: i32, rows: usize, n: i32, dim: i32, out: usize, l2: bool): void {
  const stride = <usize>dim << 2;
  const d4 = <usize>(dim & ~3) << 2;
  const outStride = <usize>n << 2;
  let blockRows = <i32>(ROW_BLOCK_BYTES / max<usize>(stride, 1)) & ~3;
  if (blockRows < 4) blockRows = 4;
  for (let r0 = 0; r0 < n; r0 += blockRows) {
    const nb = min(blockRows, n - r0);
    const block = rows + <usize>r0 * stride;
    const n4 = nb & ~3;
    touch(block, <usize>nb * stride);
    let a = 0;
    for (; a + 2 <= m; a += 2) {
      const q0 = queries + <usize>a * stride;
      const q1 = q0 + stride;
      const o0 = out + <usize>a * outStride + (<usize>r0 << 2);
      const o1 = o0 + outStride;
      let x = block;
      for (let i = 0; i < n4; i += 4) {
        tile2x4(q0, q1, x, stride, d4, o0 + (<usize>i << 2), o1 + (<usize>i << 2), l2);
        x += stride << 2;
      }
      for (let i = n4; i < nb; i++) {
        store<f32>(o0 + (<usize>i << 2), pair(q0, x, d4, stride, l2));
        store<f32>(o1 + (<usize>i << 2), pair(q1, x, d4, stride, l2));
        x += stride;
      }
    }
    if (a < m) {
      floatMany(queries + <usize>a * stride, block, nb, dim, out + <usize>a * outStride + (<usize>r0 << 2), l2);
    }
  }
}

export function dotF32(q: usize, rows: usize, n: i32, dim: i32, out: usize): void {
  floatMany(q, rows, n, dim, out, false);
}

export function l2sqF32(q: usize, rows: usize, n: i32, dim: i32, out: usize): void {
  floatMany(q, rows, n, dim, out, true);
}

/**
 * One query against the rows listed in `ids` (u32 row numbers): out[i] = score(q, rows[ids[i]]),
 * each row summed exactly as floatMany sums it, so a filtered scan scores a row as the full scan
 * does. Listed rows are scattered, which defeats the hardware prefetcher at every row boundary, so
 * four rows are read side by side to keep four misses in flight.
 */
// @ts-ignore: decorator
@inline function floatGather(q: usize, rows: usize, ids: usize, n: i32, dim: i32, out: usize, l2: bool): void {
  const stride = <usize>dim << 2;
  const d4 = <usize>(dim & ~3) << 2;
  const d16 = <usize>(dim & ~15) << 2;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const id = ids + (<usize>i << 2);
    const x0 = rows + <usize>load<u32>(id, 0) * stride;
    const x1 = rows + <usize>load<u32>(id, 4) * stride;
    const x2 = rows + <usize>load<u32>(id, 8) * stride;
    const x3 = rows + <usize>load<u32>(id, 12) * stride;
    const x4 = rows + <usize>load<u32>(id, 16) * stride;
    const x5 = rows + <usize>load<u32>(id, 20) * stride;
    const x6 = rows + <usize>load<u32>(id, 24) * stride;
    const x7 = rows + <usize>load<u32>(id, 28) * stride;
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let a4 = a0;
    let a5 = a0;
    let a6 = a0;
    let a7 = a0;
    let j: usize = 0;
    for (; j < d4; j += 16) {
      const qv = v128.load(q + j);
      a0 = f32x4.add(a0, term(qv, v128.load(x0 + j), l2));
      a1 = f32x4.add(a1, term(qv, v128.load(x1 + j), l2));
      a2 = f32x4.add(a2, term(qv, v128.load(x2 + j), l2));
      a3 = f32x4.add(a3, term(qv, v128.load(x3 + j), l2));
      a4 = f32x4.add(a4, term(qv, v128.load(x4 + j), l2));
      a5 = f32x4.add(a5, term(qv, v128.load(x5 + j), l2));
      a6 = f32x4.add(a6, term(qv, v128.load(x6 + j), l2));
      a7 = f32x4.add(a7, term(qv, v128.load(x7 + j), l2));
    }
    let s0 = reduce1(a0);
    let s1 = reduce1(a1);
    let s2 = reduce1(a2);
    let s3 = reduce1(a3);
    let s4 = reduce1(a4);
    let s5 = reduce1(a5);
    let s6 = reduce1(a6);
    let s7 = reduce1(a7);
    for (; j < stride; j += 4) {
      const qs = load<f32>(q + j);
      s0 += termScalar(qs, load<f32>(x0 + j), l2);
      s1 += termScalar(qs, load<f32>(x1 + j), l2);
      s2 += termScalar(qs, load<f32>(x2 + j), l2);
      s3 += termScalar(qs, load<f32>(x3 + j), l2);
      s4 += termScalar(qs, load<f32>(x4 + j), l2);
      s5 += termScalar(qs, load<f32>(x5 + j), l2);
      s6 += termScalar(qs, load<f32>(x6 + j), l2);
      s7 += termScalar(qs, load<f32>(x7 + j), l2);
    }
    const o = out + (<usize>i << 2);
    store<f32>(o, s0, 0);
    store<f32>(o, s1, 4);
    store<f32>(o, s2, 8);
    store<f32>(o, s3, 12);
    store<f32>(o, s4, 16);
    store<f32>(o, s5, 20);
    store<f32>(o, s6, 24);
    store<f32>(o, s7, 28);
  }
  for (; i < n; i++) {
    const x = rows + <usize>load<u32>(ids + (<usize>i << 2)) * stride;
    let a = f32x4.splat(0);
    let j: usize = 0;
    for (; j < d4; j += 16) a = f32x4.add(a, term(v128.load(q + j), v128.load(x + j), l2));
    let s = reduce1(a);
    for (; j < stride; j += 4) s += termScalar(load<f32>(q + j), load<f32>(x + j), l2);
    store<f32>(out + (<usize>i << 2), s);
  }
}

export function dotF32Gather(q: usize, rows: usize, ids: usize, n: i32, dim: i32, out: usize): void {
  floatGather(q, rows, ids, n, dim, out, false);
}

export function l2sqF32Gather(q: usize, rows: usize, ids: usize, n: i32, dim: i32, out: usize): void {
  floatGather(q, rows, ids, n, dim, out, true);
}

export function dotF32Batch(queries: usize, m: i32, rows: usize, n: i32, dim: i32, out: usize): void {
  floatBatch(queries, m, rows, n, dim, out, false);
}

export function l2sqF32Batch(queries: usize, m: i32, rows: usize, n: i32, dim: i32, out: usize): void {
  floatBatch(queries, m, rows, n, dim, out, true);
}

// ---------------------------------------------------------------------------------------------------
// int8 / uint8 dot products (exact, wrapping like the TypeScript backend's Int32Array store)

/**
 * Σ q[j] * x[j] over 8 bytes as four i32 partial sums: both sides widened to i16 by the load itself
 * (one instruction with a memory operand on x64), then one i32x4.dot_i16x8_s. uint8 values widen to
 * non-negative i16, and a pair of products (at most 2 · 255²) fits the signed i32 dot. Measured 25%
 * faster than widening 16 loaded bytes in registers, and faster than i16 accumulation with 7-bit
 * codes (i16x8.mul costs what the dot costs) or i16x8.extmul_* (3-5 instructions each in V8 on x64).
 */
// @ts-ignore: decorator
@inline function dot8(q: usize, x: usize, signed: bool): v128 {
  return i32x4.dot_i16x8_s(load8x8(q, signed), load8x8(x, signed));
}

// @ts-ignore: decorator
@inline function load8x8(ptr: usize, signed: bool): v128 {
  return signed ? v128.load8x8_s(ptr) : v128.load8x8_u(ptr);
}

// @ts-ignore: decorator
@inline function loadByte(ptr: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(ptr) : <i32>load<u8>(ptr);
}

// @ts-ignore: decorator
@inline function hsum(v: v128): i32 {
  const t = i32x4.add(v, v128.shuffle<i32>(v, v, 2, 3, 0, 1));
  return i32x4.extract_lane(t, 0) + i32x4.extract_lane(t, 1);
}

/** The part of a byte dot product past the last full 8-byte block. */
// @ts-ignore: decorator
@inline function intTail(q: usize, x: usize, j0: usize, dim: usize, signed: bool): i32 {
  let s = 0;
  for (let j = j0; j < dim; j++) s += loadByte(q + j, signed) * loadByte(x + j, signed);
  return s;
}

// @ts-ignore: decorator
@inline function intMany(q: usize, rows: usize, n: i32, dim: i32, out: usize, signed: bool): void {
  const stride = <usize>dim;
  const d8 = <usize>(dim & ~7);
  let x = rows;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x1 = x + stride;
    const x2 = x1 + stride;
    const x3 = x2 + stride;
    let a0 = i32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (let j: usize = 0; j < d8; j += 8) {
      const qv = load8x8(q + j, signed);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(qv, load8x8(x + j, signed)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(qv, load8x8(x1 + j, signed)));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(qv, load8x8(x2 + j, signed)));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(qv, load8x8(x3 + j, signed)));
    }
    const o = out + (<usize>i << 2);
    store<i32>(o, hsum(a0) + intTail(q, x, d8, stride, signed));
    store<i32>(o, hsum(a1) + intTail(q, x1, d8, stride, signed), 4);
    store<i32>(o, hsum(a2) + intTail(q, x2, d8, stride, signed), 8);
    store<i32>(o, hsum(a3) + intTail(q, x3, d8, stride, signed), 12);
    x = x3 + stride;
  }
  for (; i < n; i++) {
    let a = i32x4.splat(0);
    for (let j: usize = 0; j < d8; j += 8) a = i32x4.add(a, dot8(q + j, x + j, signed));
    store<i32>(out + (<usize>i << 2), hsum(a) + intTail(q, x, d8, stride, signed));
    x += stride;
  }
}

/**
 * Queries q0, q1 against four rows from x: a 2 × 4 tile of eight accumulators, each widened query
 * vector used four times and each row vector twice. 2 × 4 measured best among 1×8, 2×4 (unrolled or
 * not), 2×5, 2×6, 3×3, 3×4, 4×2 and 4×3 (x64 has 16 vector registers).
 */
// @ts-ignore: decorator
@inline function intTile2x4(q0: usize, q1: usize, x: usize, stride: usize, d8: usize, o0: usize, o1: usize, signed: bool): void {
  const x1 = x + stride;
  const x2 = x1 + stride;
  const x3 = x2 + stride;
  let a0 = i32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let b0 = a0;
  let b1 = a0;
  let b2 = a0;
  let b3 = a0;
  for (let j: usize = 0; j < d8; j += 8) {
    const qa = load8x8(q0 + j, signed);
    const qb = load8x8(q1 + j, signed);
    let xv = load8x8(x + j, signed);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(qa, xv));
    b0 = i32x4.add(b0, i32x4.dot_i16x8_s(qb, xv));
    xv = load8x8(x1 + j, signed);
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(qa, xv));
    b1 = i32x4.add(b1, i32x4.dot_i16x8_s(qb, xv));
    xv = load8x8(x2 + j, signed);
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(qa, xv));
    b2 = i32x4.add(b2, i32x4.dot_i16x8_s(qb, xv));
    xv = load8x8(x3 + j, signed);
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(qa, xv));
    b3 = i32x4.add(b3, i32x4.dot_i16x8_s(qb, xv));
  }
  const dim = stride;
  store<i32>(o0, hsum(a0) + intTail(q0, x, d8, dim, signed));
  store<i32>(o0, hsum(a1) + intTail(q0, x1, d8, dim, signed), 4);
  store<i32>(o0, hsum(a2) + intTail(q0, x2, d8, dim, signed), 8);
  store<i32>(o0, hsum(a3) + intTail(q0, x3, d8, dim, signed), 12);
  store<i32>(o1, hsum(b0) + intTail(q1, x, d8, dim, signed));
  store<i32>(o1, hsum(b1) + intTail(q1, x1, d8, dim, signed), 4);
  store<i32>(o1, hsum(b2) + intTail(q1, x2, d8, dim, signed), 8);
  store<i32>(o1, hsum(b3) + intTail(q1, x3, d8, dim, signed), 12);
}

// @ts-ignore: decorator
@inline function intBatch(queries: usize, m: i32, rows: usize, n: i32, dim: i32, out: usize, signed: bool): void {
  const stride = <usize>dim;
  const d8 = <usize>(dim & ~7);
  let blockRows = <i32>(ROW_BLOCK_BYTES / max<usize>(stride, 1)) & ~3;
  if (blockRows < 4) blockRows = 4;
  for (let r0 = 0; r0 < n; r0 += blockRows) {
    const nb = min(blockRows, n - r0);
    const block = rows + <usize>r0 * stride;
    const n4 = nb & ~3;
    touch(block, <usize>nb * stride);
    let a = 0;
    for (; a + 2 <= m; a += 2) {
      const q0 = queries + <usize>a * stride;
      const q1 = q0 + stride;
      const o0 = out + (<usize>a * n + r0) * 4;
      const o1 = o0 + (<usize>n << 2);
      let x = block;
      for (let i = 0; i < n4; i += 4) {
        intTile2x4(q0, q1, x, stride, d8, o0 + (<usize>i << 2), o1 + (<usize>i << 2), signed);
        x += stride << 2;
      }
      if (n4 < nb) {
        intMany(q0, x, nb - n4, dim, o0 + (<usize>n4 << 2), signed);
        intMany(q1, x, nb - n4, dim, o1 + (<usize>n4 << 2), signed);
      }
    }
    if (a < m) intMany(queries + <usize>a * stride, block, nb, dim, out + (<usize>a * n + r0) * 4, signed);
  }
}

export function dotI8(q: usize, rows: usize, n: i32, dim: i32, out: usize): void {
  intMany(q, rows, n, dim, out, true);
}

export function dotI8Batch(queries: usize, m: i32, rows: usize, n: i32, dim: i32, out: usize): void {
  intBatch(queries, m, rows, n, dim, out, true);
}

export function dotU8(q: usize, rows: usize, n: i32, dim: i32, out: usize): void {
  intMany(q, rows, n, dim, out, false);
}

export function dotU8Batch(queries: usize, m: i32, rows: usize, n: i32, dim: i32, out: usize): void {
  intBatch(queries, m, rows, n, dim, out, false);
}

// ---------------------------------------------------------------------------------------------------
// The int8 sketch of bounded-scan.ts (mirrors sketchVectorInt8 in js-kernels.ts)

/** Largest code magnitude: symmetric int8 codes. */
const SKETCH_MAX_CODE: i32 = 127;
/** Stored norms are rounded up by this factor (see bounded-scan.ts). */
const SKETCH_ROUND_UP: f64 = 1 + 1.0 / <f64>(1 << 20);
/** Added too: rounding to a float32 subnormal loses up to 2^-150 absolutely. */
const SKETCH_ROUND_UP_ABS: f64 = reinterpret<f64>(0x36a0000000000000); // 2^-149

/**
 * For each of n rows of dim float32 values: maxAbs; scale = f32(maxAbs / 127); codes
 * c_j = clamp(roundHalfEven(f32(v_j / scale)), ±127) (all 0 when the scale is 0); and, in float64, the sums of
 * e_j² (e_j = v_j − scale·c_j) and v_j² in the canonical order of the float kernels (four lanes
 * l = j mod 4, (l0 + l2) + (l1 + l3), then the dim % 4 last terms one by one). Writes the codes and the stats
 * f32(scale), f32(√Σe² · ROUND_UP + 2^-149), f32(√Σv² · ROUND_UP + 2^-149), f32(Σv²) (NaN past the float32 range). The bounds stay rigorous because
 * everything after the codes is float64 (see sketchVectorInt8).
 */
export function sketchI8(values: usize, n: i32, dim: i32, codes: usize, stats: usize): void {
  const stride = <usize>dim << 2;
  const d4 = <usize>(dim & ~3) << 2;
  const d16 = <usize>(dim & ~15) << 2;
  const top = i32x4.splat(SKETCH_MAX_CODE);
  const bottom = i32x4.splat(-SKETCH_MAX_CODE);
  let v = values;
  let c = codes;
  let st = stats;
  for (let r = 0; r < n; r++) {
    // pmax (one instruction; f32x4.max costs ~8 for NaN and ±0 rules, moot for finite magnitudes),
    // four independent chains.
    let m0 = f32x4.splat(0);
    let m1 = m0;
    let m2 = m0;
    let m3 = m0;
    let j: usize = 0;
    for (; j < d16; j += 64) {
      m0 = f32x4.pmax(m0, f32x4.abs(v128.load(v + j)));
      m1 = f32x4.pmax(m1, f32x4.abs(v128.load(v + j, 16)));
      m2 = f32x4.pmax(m2, f32x4.abs(v128.load(v + j, 32)));
      m3 = f32x4.pmax(m3, f32x4.abs(v128.load(v + j, 48)));
    }
    for (; j < d4; j += 16) m0 = f32x4.pmax(m0, f32x4.abs(v128.load(v + j)));
    const maxV = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
    let maxAbs = max(max(f32x4.extract_lane(maxV, 0), f32x4.extract_lane(maxV, 1)), max(f32x4.extract_lane(maxV, 2), f32x4.extract_lane(maxV, 3)));
    for (; j < stride; j += 4) maxAbs = max(maxAbs, abs(load<f32>(v + j)));
    const scale = maxAbs / <f32>SKETCH_MAX_CODE;
    const scaleV = f32x4.splat(scale);
    const magic = f32x4.splat(12582912);
    const scale64 = f64x2.splat(<f64>scale);
    // Lanes j, j + 1 and j + 2, j + 3 of each group of four: four float64 partial sums per quantity.
    let residualLo = f64x2.splat(0);
    let residualHi = residualLo;
    let normLo = residualLo;
    let normHi = residualLo;
    let k: usize = 0; // code index
    for (j = 0; j < d4; j += 16) {
      const x = v128.load(v + j);
      // Adding 1.5 · 2^23 rounds |q| < 2^22 to an integer, half to even, in the low mantissa bits.
      // With a nonzero scale |q| < 1.5 · 127 (the float32 scale errs by less than half itself).
      const rounded = i32x4.sub(f32x4.add(f32x4.div(x, scaleV), magic), magic);
      const code = scale == 0 ? i32x4.splat(0) : i32x4.max_s(bottom, i32x4.min_s(top, rounded));
      const narrow = i16x8.narrow_i32x4_s(code, code);
      store<i32>(c + k, i32x4.extract_lane(i8x16.narrow_i16x8_s(narrow, narrow), 0));
      k += 4;
      const xLo = f64x2.promote_low_f32x4(x);
      const xHi = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3));
      const eLo = f64x2.sub(xLo, f64x2.mul(scale64, f64x2.convert_low_i32x4_s(code)));
      const eHi = f64x2.sub(xHi, f64x2.mul(scale64, f64x2.convert_low_i32x4_s(v128.shuffle<i32>(code, code, 2, 3, 2, 3))));
      residualLo = f64x2.add(residualLo, f64x2.mul(eLo, eLo));
      residualHi = f64x2.add(residualHi, f64x2.mul(eHi, eHi));
      normLo = f64x2.add(normLo, f64x2.mul(xLo, xLo));
      normHi = f64x2.add(normHi, f64x2.mul(xHi, xHi));
    }
    const residual2 = f64x2.add(residualLo, residualHi);
    const norm2 = f64x2.add(normLo, normHi);
    let rs = f64x2.extract_lane(residual2, 0) + f64x2.extract_lane(residual2, 1);
    let ns = f64x2.extract_lane(norm2, 0) + f64x2.extract_lane(norm2, 1);
    for (; j < stride; j += 4) {
      const x = load<f32>(v + j);
      const q = x / scale;
      const code = scale == 0 ? 0 : <i32>max(<f32>-SKETCH_MAX_CODE, min(<f32>SKETCH_MAX_CODE, nearest(q)));
      store<i8>(c + k, <i8>code);
      k++;
      const e = <f64>x - <f64>scale * <f64>code;
      rs += e * e;
      ns += <f64>x * <f64>x;
    }
    store<f32>(st, scale);
    store<f32>(st, <f32>(sqrt(rs) * SKETCH_ROUND_UP + SKETCH_ROUND_UP_ABS), 4);
    store<f32>(st, <f32>(sqrt(ns) * SKETCH_ROUND_UP + SKETCH_ROUND_UP_ABS), 8);
    const normSqF32 = <f32>ns;
    store<f32>(st, normSqF32 - normSqF32 == 0 ? normSqF32 : NaN, 12); // NaN for Infinity: see sketchVectorInt8

    v += stride;
    c += <usize>dim;
    st += 16;
  }
}

// ---------------------------------------------------------------------------------------------------
// Hamming distance over packed bits

/** Byte counts grow by at most 8 per 16-byte step, so 31 steps never overflow a u8 lane. */
const POPCOUNT_STEPS_PER_FOLD: usize = 31;

/** popcount(q XOR x) over `bytes` bytes. */
// @ts-ignore: decorator
@inline function hammingOne(q: usize, x: usize, bytes: usize): u32 {
  const b16 = bytes & ~15;
  let total = i32x4.splat(0);
  let j: usize = 0;
  while (j < b16) {
    const end = min(b16, j + POPCOUNT_STEPS_PER_FOLD * 16);
    let counts = i8x16.splat(0);
    for (; j < end; j += 16) counts = i8x16.add(counts, i8x16.popcnt(v128.xor(v128.load(q + j), v128.load(x + j))));
    total = i32x4.add(total, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(counts)));
  }
  let s = <u32>hsum(total);
  if (j + 8 <= bytes) {
    s += <u32>popcnt<u64>(load<u64>(q + j) ^ load<u64>(x + j));
    j += 8;
  }
  for (; j < bytes; j++) s += <u32>popcnt<u32>(<u32>(load<u8>(q + j) ^ load<u8>(x + j)));
  return s;
}

export function hamming(q: usize, codes: usize, n: i32, bytes: i32, out: usize): void {
  const stride = <usize>bytes;
  for (let i = 0; i < n; i++) store<u32>(out + (<usize>i << 2), hammingOne(q, codes + <usize>i * stride, stride));
}

export function hammingBatch(queries: usize, m: i32, codes: usize, n: i32, bytes: i32, out: usize): void {
  const stride = <usize>bytes;
  let blockRows = <i32>(ROW_BLOCK_BYTES / max<usize>(stride, 1));
  if (blockRows < 1) blockRows = 1;
  for (let r0 = 0; r0 < n; r0 += blockRows) {
    const nb = min(blockRows, n - r0);
    touch(codes + <usize>r0 * stride, <usize>nb * stride);
    for (let a = 0; a < m; a++) {
      const o = out + (<usize>a * n + r0) * 4;
      hamming(queries + <usize>a * stride, codes + <usize>r0 * stride, nb, bytes, o);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Threshold compaction: the few entries of a score tile that can still enter a top-k, as flat indices

/** Writes `index` at position `count` of `out` when it fits; returns the new count. */
// @ts-ignore: decorator
@inline function emit(out: usize, count: i32, capacity: i32, index: i32): i32 {
  if (count < capacity) store<u32>(out + (<usize>count << 2), <u32>index);
  return count + 1;
}

/** Emits base + b for every set bit b of `bits`, lowest first. */
// @ts-ignore: decorator
@inline function emitBits(out: usize, count: i32, capacity: i32, base: i32, bits: i32): i32 {
  while (bits != 0) {
    count = emit(out, count, capacity, base + ctz(bits));
    bits &= bits - 1;
  }
  return count;
}

/**
 * Flat indices a * n + i of a query-major m × n float32 tile whose value (negated when `negate`) is
 * not ≤ thresholds[a]: strictly above it, or NaN. A NaN threshold admits the whole row.
 * -v ≤ t is tested as v ≥ -t (negation is exact), so the negated case costs nothing extra.
 */
export function selectAboveF32(values: usize, m: i32, n: i32, thresholds: usize, negate: bool, out: usize, capacity: i32): i32 {
  let count = 0;
  const n16 = n & ~15;
  for (let a = 0; a < m; a++) {
    const row = values + (<usize>a * <usize>n << 2);
    const base = a * n;
    const t = load<f32>(thresholds + (<usize>a << 2));
    const tv = f32x4.splat(negate ? -t : t);
    let i = 0;
    for (; i < n16; i += 16) {
      const p = row + (<usize>i << 2);
      let bits: i32;
      if (negate) {
        bits =
          i32x4.bitmask(f32x4.ge(v128.load(p), tv)) |
          (i32x4.bitmask(f32x4.ge(v128.load(p, 16), tv)) << 4) |
          (i32x4.bitmask(f32x4.ge(v128.load(p, 32), tv)) << 8) |
          (i32x4.bitmask(f32x4.ge(v128.load(p, 48), tv)) << 12);
      } else {
        bits =
          i32x4.bitmask(f32x4.le(v128.load(p), tv)) |
          (i32x4.bitmask(f32x4.le(v128.load(p, 16), tv)) << 4) |
          (i32x4.bitmask(f32x4.le(v128.load(p, 32), tv)) << 8) |
          (i32x4.bitmask(f32x4.le(v128.load(p, 48), tv)) << 12);
      }
      bits ^= 0xffff; // the entries not at or below the threshold
      if (bits != 0) count = emitBits(out, count, capacity, base + i, bits);
    }
    for (; i < n; i++) {
      const v = load<f32>(row + (<usize>i << 2));
      if (!((negate ? -v : v) <= t)) count = emit(out, count, capacity, base + i);
    }
  }
  return count;
}

/** The int32 twin of selectAboveF32 (hamming distances, integer dot products): value (or -value) > thresholds[a]. */
export function selectAboveI32(values: usize, m: i32, n: i32, thresholds: usize, negate: bool, out: usize, capacity: i32): i32 {
  let count = 0;
  const n16 = n & ~15;
  for (let a = 0; a < m; a++) {
    const row = values + (<usize>a * <usize>n << 2);
    const base = a * n;
    const t = load<i32>(thresholds + (<usize>a << 2));
    const tv = i32x4.splat(t);
    let i = 0;
    for (; i < n16; i += 16) {
      const p = row + (<usize>i << 2);
      let v0 = v128.load(p);
      let v1 = v128.load(p, 16);
      let v2 = v128.load(p, 32);
      let v3 = v128.load(p, 48);
      if (negate) {
        v0 = i32x4.neg(v0);
        v1 = i32x4.neg(v1);
        v2 = i32x4.neg(v2);
        v3 = i32x4.neg(v3);
      }
      const bits =
        i32x4.bitmask(i32x4.gt_s(v0, tv)) |
        (i32x4.bitmask(i32x4.gt_s(v1, tv)) << 4) |
        (i32x4.bitmask(i32x4.gt_s(v2, tv)) << 8) |
        (i32x4.bitmask(i32x4.gt_s(v3, tv)) << 12);
      if (bits != 0) count = emitBits(out, count, capacity, base + i, bits);
    }
    for (; i < n; i++) {
      const v = load<i32>(row + (<usize>i << 2));
      if ((negate ? -v : v) > t) count = emit(out, count, capacity, base + i);
    }
  }
  return count;
}

/**
 * The int8-sketch prefilter of bounded-scan.ts, fused: for each (query a, row i) of an m × n int32
 * tile of code dot products d, the float32 upper bound
 *   u = (((p0 · (s_i · f32(d)) + p1 · r_i) + p2 · x_i) + p3 · y_i) + p4
 * from the query's five parameters p (params + 20a) and the row's stats s, r, x, y (stats + 16i),
 * each operation rounded to float32 in that order; emits a * n + i unless u < thresholds[a].
 */
export function selectSketchBounds(
  dots: usize,
  m: i32,
  n: i32,
  params: usize,
  stats: usize,
  thresholds: usize,
  out: usize,
  capacity: i32,
): i32 {
  let count = 0;
  const n4 = n & ~3;
  for (let a = 0; a < m; a++) {
    const row = dots + (<usize>a * <usize>n << 2);
    const base = a * n;
    const pa = params + <usize>a * 20;
    const p0 = f32x4.splat(load<f32>(pa));
    const p1 = f32x4.splat(load<f32>(pa, 4));
    const p2 = f32x4.splat(load<f32>(pa, 8));
    const p3 = f32x4.splat(load<f32>(pa, 12));
    const p4 = f32x4.splat(load<f32>(pa, 16));
    const tv = f32x4.splat(load<f32>(thresholds + (<usize>a << 2)));
    let i = 0;
    for (; i < n4; i += 4) {
      // Four rows' stats, transposed so each vector holds one stat of the four rows.
      const st = stats + (<usize>i << 4);
      const r0 = v128.load(st);
      const r1 = v128.load(st, 16);
      const r2 = v128.load(st, 32);
      const r3 = v128.load(st, 48);
      const t01lo = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t23lo = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t01hi = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t23hi = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const scale = v128.shuffle<f32>(t01lo, t23lo, 0, 1, 4, 5);
      const residual = v128.shuffle<f32>(t01lo, t23lo, 2, 3, 6, 7);
      const norm = v128.shuffle<f32>(t01hi, t23hi, 0, 1, 4, 5);
      const normSq = v128.shuffle<f32>(t01hi, t23hi, 2, 3, 6, 7);
      const d = f32x4.convert_i32x4_s(v128.load(row + (<usize>i << 2)));
      let u = f32x4.mul(p0, f32x4.mul(scale, d));
      u = f32x4.add(u, f32x4.mul(p1, residual));
      u = f32x4.add(u, f32x4.mul(p2, norm));
      u = f32x4.add(u, f32x4.mul(p3, normSq));
      u = f32x4.add(u, p4);
      const bits = i32x4.bitmask(f32x4.lt(u, tv)) ^ 0xf;
      if (bits != 0) count = emitBits(out, count, capacity, base + i, bits);
    }
    for (; i < n; i++) {
      const st = stats + (<usize>i << 4);
      let u = load<f32>(pa) * (load<f32>(st) * <f32>load<i32>(row + (<usize>i << 2)));
      u += load<f32>(pa, 4) * load<f32>(st, 4);
      u += load<f32>(pa, 8) * load<f32>(st, 8);
      u += load<f32>(pa, 12) * load<f32>(st, 12);
      u += load<f32>(pa, 16);
      if (!(u < load<f32>(thresholds + (<usize>a << 2)))) count = emit(out, count, capacity, base + i);
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------------
// IEEE binary16 <-> binary32 (scalar; mirrors halfToFloat / floatToHalf in js-kernels.ts)

/** The float32 NaN that JavaScript stores for any NaN: every half NaN maps to it. */
const CANONICAL_NAN: u32 = 0x7fc00000;

export function f16ToF32(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const h = <u32>load<u16>(src + (<usize>i << 1));
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    let bits: u32;
    if (exponent == 0) bits = sign | reinterpret<u32>(<f32>mantissa * 5.9604644775390625e-8); // mantissa · 2^-24, exact
    else if (exponent == 31) bits = mantissa ? CANONICAL_NAN : sign | 0x7f800000;
    else bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    store<u32>(dst + (<usize>i << 2), bits);
  }
}

export function f32ToF16(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const bits = load<u32>(src + (<usize>i << 2));
    store<u16>(dst + (<usize>i << 1), <u16>floatBitsToHalf(bits));
  }
}

// @ts-ignore: decorator
@inline function floatBitsToHalf(bits: u32): u32 {
  const sign = (bits >> 16) & 0x8000;
  const exponent = <i32>((bits >> 23) & 0xff);
  let mantissa = bits & 0x7fffff;
  if (exponent == 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >> 13) : 0);
  const e = exponent - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // rounds to ±0
    mantissa |= 0x800000; // make the implicit bit explicit
    const shift = <u32>(14 - e);
    const half = mantissa >> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const midpoint: u32 = 1 << (shift - 1);
    return sign | (remainder > midpoint || (remainder == midpoint && (half & 1) != 0) ? half + 1 : half);
  }
  const half = (<u32>e << 10) | (mantissa >> 13);
  const remainder = mantissa & 0x1fff;
  // Carrying into the exponent is right: it rounds up to the next power of two or to Infinity.
  return sign | (remainder > 0x1000 || (remainder == 0x1000 && (half & 1) != 0) ? half + 1 : half);
}
