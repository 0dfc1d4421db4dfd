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
  if (nbits == 8) {
    adcScan8(codes, n, M, table, out);
    return;
  }
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

/** One row's table entry of subspace m + s for 8-bit codes, where `word` holds the code bytes of subspaces m .. m + 3. */
// @ts-ignore: decorator
@inline function entry8(table: usize, m: i32, word: u32, s: i32): f32 {
  return load<f32>(table + ((<usize>(m + s) << 10) | (<usize>((word >> (<u32>s << 3)) & 0xff) << 2)));
}

/**
 * `pqAdcScan` for 8-bit codes: four rows side by side, their code bytes read four subspaces at a
 * time; each row's sum keeps subspace order.
 */
function adcScan8(codes: usize, n: i32, M: i32, table: usize, out: usize): void {
  const bytes = <usize>M;
  const M4 = M & ~3;
  let i = 0;
  let c = codes;
  for (; i + 4 <= n; i += 4) {
    let s0: f32 = 0;
    let s1: f32 = 0;
    let s2: f32 = 0;
    let s3: f32 = 0;
    let m = 0;
    for (; m < M4; m += 4) {
      const w0 = load<u32>(c + <usize>m);
      const w1 = load<u32>(c + bytes + <usize>m);
      const w2 = load<u32>(c + 2 * bytes + <usize>m);
      const w3 = load<u32>(c + 3 * bytes + <usize>m);
      s0 += entry8(table, m, w0, 0);
      s1 += entry8(table, m, w1, 0);
      s2 += entry8(table, m, w2, 0);
      s3 += entry8(table, m, w3, 0);
      s0 += entry8(table, m, w0, 1);
      s1 += entry8(table, m, w1, 1);
      s2 += entry8(table, m, w2, 1);
      s3 += entry8(table, m, w3, 1);
      s0 += entry8(table, m, w0, 2);
      s1 += entry8(table, m, w1, 2);
      s2 += entry8(table, m, w2, 2);
      s3 += entry8(table, m, w3, 2);
      s0 += entry8(table, m, w0, 3);
      s1 += entry8(table, m, w1, 3);
      s2 += entry8(table, m, w2, 3);
      s3 += entry8(table, m, w3, 3);
    }
    for (; m < M; m++) {
      const t = table + (<usize>m << 10);
      s0 += load<f32>(t + (<usize>load<u8>(c + <usize>m) << 2));
      s1 += load<f32>(t + (<usize>load<u8>(c + bytes + <usize>m) << 2));
      s2 += load<f32>(t + (<usize>load<u8>(c + 2 * bytes + <usize>m) << 2));
      s3 += load<f32>(t + (<usize>load<u8>(c + 3 * bytes + <usize>m) << 2));
    }
    const o = out + (<usize>i << 2);
    store<f32>(o, s0);
    store<f32>(o, s1, 4);
    store<f32>(o, s2, 8);
    store<f32>(o, s3, 12);
    c += bytes << 2;
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), pqAdcOne(c, M, 8, table));
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

/**
 * Reads list descriptor l of a list table: 16 bytes per list holding the entries' pointer (i32),
 * the entry count (i32), a pointer to one float32 term per entry (i32, 0 for none) and the list's
 * bias (f32).
 */
// @ts-ignore: decorator
@inline function listBase(lists: usize, l: i32): usize {
  return lists + (<usize>l << 4);
}

/**
 * ADC over several lists of consecutive codes in one call. For entry i of list l, with s its ADC
 * sum (as `pqAdcScan`), writes f32(f32(bias + term[i]) + f32(scale × s)) (without a term:
 * f32(bias + f32(scale × s))). Outputs are concatenated: list l's come after list l − 1's.
 */
export function pqAdcScanLists(lists: usize, count: i32, M: i32, nbits: i32, table: usize, scale: f32, out: usize): void {
  let o = out;
  for (let l = 0; l < count; l++) {
    const d = listBase(lists, l);
    const n = load<i32>(d, 4);
    const terms = <usize>load<i32>(d, 8);
    const bias = load<f32>(d, 12);
    pqAdcScan(<usize>load<i32>(d), n, M, nbits, table, o);
    for (let i = 0; i < n; i++) {
      const p = o + (<usize>i << 2);
      const base = terms != 0 ? bias + load<f32>(terms + (<usize>i << 2)) : bias;
      store<f32>(p, base + scale * load<f32>(p));
    }
    o += <usize>n << 2;
  }
}

/**
 * Quantizes an M × 16 float32 table to uint8 for the fast scan: with lo_m the smallest entry of
 * row m, unit = f32(max_m f32(hi_m − lo_m) / 255) (1 when every row is constant), entry
 * t → min(255, floor(f32(f32(f32(t − lo_m) / unit) + 0.5))). Writes `params` = [Σ_m lo_m (float32,
 * in row order), unit], so that a sum of table entries ≈ params[0] + params[1] × (sum of lut entries).
 */
export function pqQuantizeLut(table: usize, M: i32, lut: usize, params: usize): void {
  let base: f32 = 0;
  let range: f32 = 0;
  for (let m = 0; m < M; m++) {
    const row = table + (<usize>m << 6);
    let lo = load<f32>(row);
    let hi = lo;
    for (let c = 1; c < 16; c++) {
      const v = load<f32>(row + (<usize>c << 2));
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    base += lo;
    const r: f32 = hi - lo;
    if (r > range) range = r;
  }
  const unit: f32 = range > 0 ? range / 255 : 1;
  for (let m = 0; m < M; m++) {
    const row = table + (<usize>m << 6);
    let lo = load<f32>(row);
    for (let c = 1; c < 16; c++) {
      const v = load<f32>(row + (<usize>c << 2));
      if (v < lo) lo = v;
    }
    for (let c = 0; c < 16; c++) {
      const scaled: f32 = (load<f32>(row + (<usize>c << 2)) - lo) / unit;
      let q = Mathf.floor(scaled + 0.5);
      if (q > 255) q = 255;
      store<u8>(lut + (<usize>m << 4) + <usize>c, <u8>(<i32>q));
    }
  }
  store<f32>(params, base);
  store<f32>(params, unit, 4);
}

/** Writes 8 rows' estimates from their uint16 lookup sums (see pqFastScanLists). */
// @ts-ignore: decorator
@inline function fastScanEstimates(sums: v128, o: usize, terms: usize, lutBase: v128, unit: v128, scale: v128, bias: v128): void {
  const lo = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(sums));
  const hi = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(sums));
  let b0 = bias;
  let b1 = bias;
  if (terms != 0) {
    b0 = f32x4.add(bias, v128.load(terms));
    b1 = f32x4.add(bias, v128.load(terms, 16));
  }
  v128.store(o, f32x4.add(b0, f32x4.mul(scale, f32x4.add(lutBase, f32x4.mul(unit, lo)))));
  v128.store(o, f32x4.add(b1, f32x4.mul(scale, f32x4.add(lutBase, f32x4.mul(unit, hi)))), 16);
}

/**
 * The 4-bit fast scan over several lists in one call. List entries are in `pqFastScan` blocks;
 * `lut` and `params` come from `pqQuantizeLut`. For entry i with lookup sum u (uint16, as
 * `pqFastScan`), writes f32(base_i + f32(scale × f32(params[0] + f32(params[1] × u)))), where
 * base_i = f32(bias + term[i]) (bias without a term). Each list's outputs fill a multiple of 32
 * floats (its blocks' rows, padding included): list l starts after the padded outputs of list
 * l − 1. The term array must be readable for the padded row count.
 */
export function pqFastScanLists(lists: usize, count: i32, M: i32, lut: usize, params: usize, scale: f32, out: usize): void {
  const mask = i8x16.splat(0x0f);
  const lutBase = f32x4.splat(load<f32>(params));
  const unit = f32x4.splat(load<f32>(params, 4));
  const scaleV = f32x4.splat(scale);
  let o = out;
  for (let l = 0; l < count; l++) {
    const d = listBase(lists, l);
    let p = <usize>load<i32>(d);
    const nblocks = (load<i32>(d, 4) + 31) >> 5;
    let terms = <usize>load<i32>(d, 8);
    const bias = f32x4.splat(load<f32>(d, 12));
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
      fastScanEstimates(a0, o, terms, lutBase, unit, scaleV, bias);
      fastScanEstimates(a1, o + 32, terms != 0 ? terms + 32 : 0, lutBase, unit, scaleV, bias);
      fastScanEstimates(a2, o + 64, terms != 0 ? terms + 64 : 0, lutBase, unit, scaleV, bias);
      fastScanEstimates(a3, o + 96, terms != 0 ? terms + 96 : 0, lutBase, unit, scaleV, bias);
      o += 128;
      if (terms != 0) terms += 128;
    }
  }
}

/**
 * Float ADC sums of single entries of fast-scan lists: `refs` holds `count` pairs of int32 (the
 * list's block pointer, the entry's position in the list); out[i] = Σ_m table[m * 16 + code_m]
 * over that entry's 4-bit codes, in subspace order with float32 additions (as `pqAdcScan`).
 */
export function pqFastScanGather(refs: usize, count: i32, M: i32, table: usize, out: usize): void {
  const stride = <usize>M << 4;
  for (let i = 0; i < count; i++) {
    const ref = refs + (<usize>i << 3);
    const position = load<i32>(ref, 4);
    const lane = position & 31;
    const shift = <u32>(lane >> 4) << 2;
    let p = <usize>load<i32>(ref) + <usize>(position >> 5) * stride + <usize>(lane & 15);
    let s: f32 = 0;
    for (let m = 0; m < M; m++) {
      const code = (<u32>load<u8>(p) >> shift) & 15;
      s += load<f32>(table + ((<usize>(m << 4) + <usize>code) << 2));
      p += 16;
    }
    store<f32>(out + (<usize>i << 2), s);
  }
}

/**
 * The ADC table of a query in one call: out[m * ksub + c] = the inner product (l2 = 0) or the
 * squared l2 distance (l2 = 1) of query subvector m and centroid c of subspace m, from codebooks
 * stored transposed per subspace (value j of centroid c at (m * dsub + j) * ksub + c; ksub a
 * multiple of 4). Each entry adds its dsub terms in order from 0, float32 after every operation.
 */
export function pqTable(query: usize, codebooksT: usize, M: i32, ksub: i32, dsub: i32, l2: i32, out: usize): void {
  const stride = <usize>ksub << 2;
  let q = query;
  let cb = codebooksT;
  let o = out;
  for (let m = 0; m < M; m++) {
    for (let c = 0; c < ksub; c += 4) {
      let acc = f32x4.splat(0);
      let p = cb + (<usize>c << 2);
      for (let j = 0; j < dsub; j++) {
        const qj = f32x4.splat(load<f32>(q + (<usize>j << 2)));
        const x = v128.load(p);
        if (l2) {
          const t = f32x4.sub(qj, x);
          acc = f32x4.add(acc, f32x4.mul(t, t));
        } else {
          acc = f32x4.add(acc, f32x4.mul(qj, x));
        }
        p += stride;
      }
      v128.store(o + (<usize>c << 2), acc);
    }
    q += <usize>dsub << 2;
    cb += <usize>dsub * stride;
    o += stride;
  }
}

/** One term of the canonical l2 sum for four centroids: acc + f32(t × t), t = f32(x − c). */
// @ts-ignore: decorator
@inline function l2Term(acc: v128, x: usize, j: i32, p: usize): v128 {
  const t = f32x4.sub(f32x4.splat(load<f32>(x + (<usize>j << 2))), v128.load(p));
  return f32x4.add(acc, f32x4.mul(t, t));
}

/**
 * The nearest of k centroids for each of n points (row-major, `dim` float32 each): the k-means
 * and encoding assignment in one pass, four centroids at a time. Centroids are transposed: value j
 * of centroid c at float index j × kPad + c, kPad = k rounded up to a multiple of 4, with the
 * padding columns copies of centroid 0. Each squared distance is summed in the canonical order
 * of `l2sqF32` (bit-identical to it); writes, per point, the index of the smallest (the first on
 * ties) as int32 at outIndex and the distance as float32 at outValue. Inputs must be finite.
 */
export function pqAssign(points: usize, n: i32, dim: i32, centroidsT: usize, k: i32, outIndex: usize, outValue: usize): void {
  const kPad = (k + 3) & ~3;
  const row = <usize>kPad << 2;
  const d4 = dim & ~3;
  const four = i32x4.splat(4);
  for (let i = 0; i < n; i++) {
    const x = points + <usize>i * (<usize>dim << 2);
    let best = f32x4.splat(Infinity);
    let bestIndex = i32x4(0, 1, 2, 3);
    let index = bestIndex;
    for (let c = 0; c < kPad; c += 4) {
      let a0 = f32x4.splat(0);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      let p = centroidsT + (<usize>c << 2);
      let j = 0;
      for (; j < d4; j += 4) {
        a0 = l2Term(a0, x, j, p);
        a1 = l2Term(a1, x, j + 1, p + row);
        a2 = l2Term(a2, x, j + 2, p + 2 * row);
        a3 = l2Term(a3, x, j + 3, p + 3 * row);
        p += row << 2;
      }
      let s = f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3));
      for (; j < dim; j++) {
        s = l2Term(s, x, j, p);
        p += row;
      }
      const better = f32x4.lt(s, best);
      best = v128.bitselect(s, best, better);
      bestIndex = v128.bitselect(index, bestIndex, better);
      index = i32x4.add(index, four);
    }
    let value = f32x4.extract_lane(best, 0);
    let at = i32x4.extract_lane(bestIndex, 0);
    for (let lane: u8 = 1; lane < 4; lane++) {
      const v = lane == 1 ? f32x4.extract_lane(best, 1) : lane == 2 ? f32x4.extract_lane(best, 2) : f32x4.extract_lane(best, 3);
      const a = lane == 1 ? i32x4.extract_lane(bestIndex, 1) : lane == 2 ? i32x4.extract_lane(bestIndex, 2) : i32x4.extract_lane(bestIndex, 3);
      if (v < value || (v == value && a < at)) {
        value = v;
        at = a;
      }
    }
    store<i32>(outIndex + (<usize>i << 2), at);
    store<f32>(outValue + (<usize>i << 2), value);
  }
}
