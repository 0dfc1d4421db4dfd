// Product-quantization kernels (family `pq`): k-means / encoding assignment, asymmetric-distance
// (ADC) table scans over 8-bit and packed 4-bit codes, and the 4-bit fast scan over 32-row blocks
// with uint8 lookup tables. Results equal src/kernels/pq-kernels.ts (`createJsPqKernels`):
// ADC sums add the subspace terms in subspace order, rounding to float32 after every addition.

/** Bytes of one packed code: M bytes at 8 bits, ceil(M / 2) at 4 bits (subspace m in byte m >> 1, low nibble first). */
// @ts-ignore: decorator
@inline function pqCodeBytes(M: i32, nbits: i32): usize {
  return nbits == 8 ? <usize>M : <usize>((M + 1) >> 1);
}

/** The code of subspace m (table row offset in entries: m * ksub + code). */
// @ts-ignore: decorator
@inline function pqEntry(code: usize, m: i32, nbits: i32): usize {
  if (nbits == 8) return (<usize>m << 8) + <usize>load<u8>(code + <usize>m);
  const byte = <u32>load<u8>(code + (<usize>m >> 1));
  return (<usize>m << 4) + <usize>((byte >> ((<u32>m & 1) << 2)) & 15);
}

/** Σ_m table[m][code_m] in subspace order, float32 after every addition. */
// @ts-ignore: decorator
@inline function pqAdcOne(code: usize, M: i32, nbits: i32, table: usize): f32 {
  let s: f32 = 0;
  for (let m = 0; m < M; m++) s += load<f32>(table + (pqEntry(code, m, nbits) << 2));
  return s;
}

/**
 * For each row a of an m × n float32 tile (n ≥ 1): the position of its smallest value (the first
 * one on ties) as int32 at outIndex, and that value as float32 at outValue.
 */
export function pqArgminRows(values: usize, m: i32, n: i32, outIndex: usize, outValue: usize): void {
  let row = values;
  const stride = <usize>n << 2;
  for (let a = 0; a < m; a++) {
    let best = load<f32>(row);
    let bestIndex = 0;
    for (let i = 1; i < n; i++) {
      const v = load<f32>(row + (<usize>i << 2));
      if (v < best) {
        best = v;
        bestIndex = i;
      }
    }
    store<i32>(outIndex + (<usize>a << 2), bestIndex);
    store<f32>(outValue + (<usize>a << 2), best);
    row += stride;
  }
}

/**
 * out[i] = Σ_m table[m * ksub + code_i[m]] for n consecutive codes (ksub = 2^nbits, nbits 8 or 4,
 * table float32 M × ksub). Four rows run side by side so the additions of one row never wait on
 * each other's loads; each row's sum keeps subspace order.
 */
export function pqAdcScan(codes: usize, n: i32, M: i32, nbits: i32, table: usize, out: usize): void {
  const bytes = pqCodeBytes(M, nbits);
  let i = 0;
  let c = codes;
  for (; i + 4 <= n; i += 4) {
    let s0: f32 = 0;
    let s1: f32 = 0;
    let s2: f32 = 0;
    let s3: f32 = 0;
    for (let m = 0; m < M; m++) {
      s0 += load<f32>(table + (pqEntry(c, m, nbits) << 2));
      s1 += load<f32>(table + (pqEntry(c + bytes, m, nbits) << 2));
      s2 += load<f32>(table + (pqEntry(c + 2 * bytes, m, nbits) << 2));
      s3 += load<f32>(table + (pqEntry(c + 3 * bytes, m, nbits) << 2));
    }
    const o = out + (<usize>i << 2);
    store<f32>(o, s0);
    store<f32>(o, s1, 4);
    store<f32>(o, s2, 8);
    store<f32>(o, s3, 12);
    c += bytes << 2;
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), pqAdcOne(c, M, nbits, table));
    c += bytes;
  }
}

/** out[i] = the ADC sum of the code at row slots[i] (int32) of `codes`, for i < count. */
export function pqAdcGather(codes: usize, M: i32, nbits: i32, table: usize, slots: usize, count: i32, out: usize): void {
  const bytes = pqCodeBytes(M, nbits);
  for (let i = 0; i < count; i++) {
    const code = codes + <usize>load<i32>(slots + (<usize>i << 2)) * bytes;
    store<f32>(out + (<usize>i << 2), pqAdcOne(code, M, nbits, table));
  }
}

/**
 * The 4-bit fast scan. Codes come in blocks of 32 rows: for each subspace m, 16 bytes whose byte j
 * holds row j's code in its low nibble and row j + 16's in its high nibble. `lut` holds M × 16
 * uint8 entries. Writes out[r] = Σ_m lut[m][code_r[m]] as uint16 (32 per block), exact for M ≤ 257.
 */
export function pqFastScan(blocks: usize, nblocks: i32, M: i32, lut: usize, out: usize): void {
  const mask = i8x16.splat(0x0f);
  let p = blocks;
  let o = out;
  for (let b = 0; b < nblocks; b++) {
    let a0 = i16x8.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let t = lut;
    for (let m = 0; m < M; m++) {
      const table = v128.load(t);
      const codes = v128.load(p);
      const lo = i8x16.swizzle(table, v128.and(codes, mask));
      const hi = i8x16.swizzle(table, i8x16.shr_u(codes, 4));
      a0 = i16x8.add(a0, i16x8.extend_low_i8x16_u(lo));
      a1 = i16x8.add(a1, i16x8.extend_high_i8x16_u(lo));
      a2 = i16x8.add(a2, i16x8.extend_low_i8x16_u(hi));
      a3 = i16x8.add(a3, i16x8.extend_high_i8x16_u(hi));
      t += 16;
      p += 16;
    }
    v128.store(o, a0);
    v128.store(o, a1, 16);
    v128.store(o, a2, 32);
    v128.store(o, a3, 48);
    o += 64;
  }
}
