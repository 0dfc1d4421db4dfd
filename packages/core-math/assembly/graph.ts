// Graph-search kernels (family `graph`): HNSW layer search, insertion and removal repair over rows
// kept in the arena, one call per query (or per inserted node). Results equal
// src/kernels/graph-kernels.ts (`createJsGraphKernels`), which documents the context layout, the
// row kinds and the canonical float order.
//
// The module writes only where the context points (visited marks, heaps, scratch, links); it keeps
// no state of its own besides the context fields it is handed.

// ---------------------------------------------------------------------------------------------------
// Context: int32 fields at ctx + 4 * index (keep in step with graph-kernels.ts)

const C_ROWS: usize = 0;
const C_STRIDE: usize = 4;
const C_DIM: usize = 8;
const C_KIND: usize = 12;
const C_METRIC: usize = 16;
const C_M: usize = 20;
const C_M0: usize = 24;
const C_LINKS0: usize = 28;
const C_UPPER_INDEX: usize = 32;
const C_UPPER: usize = 36;
const C_VISITED: usize = 40;
const C_EPOCH: usize = 44;
const C_DEAD: usize = 48;
const C_ENTRY: usize = 52;
const C_MAX_LEVEL: usize = 56;
const C_CAND: usize = 60;
const C_RESULT: usize = 64;
const C_QUERY: usize = 68;
const C_QUERY2: usize = 72;
const C_SELECT: usize = 76;
const C_PRUNE: usize = 80;
const C_NODES: usize = 84;
const C_TABLE: usize = 88;
const C_SUBSPACES: usize = 92;

const KIND_F32: i32 = 0;
const KIND_F16: i32 = 1;
const KIND_I8: i32 = 2;
const KIND_PQ8: i32 = 3;
const KIND_PQ4: i32 = 4;

// Per-call state, loaded from the context by `load()` at the start of every exported function.
let rows: usize = 0;
let stride: usize = 0;
let dim: i32 = 0;
let kind: i32 = 0;
let l2: bool = false;
let maxM: i32 = 0;
let maxM0: i32 = 0;
let links0: usize = 0;
let upperIndex: usize = 0;
let upper: usize = 0;
let visited: usize = 0;
let dead: usize = 0;
let cand: usize = 0;
let result: usize = 0;
let nodes: i32 = 0;
let table: usize = 0;
let subspaces: i32 = 0;
let candCount: i32 = 0;
let resultCount: i32 = 0;

// @ts-ignore: decorator
@inline function field(ctx: usize, offset: usize): i32 {
  return load<i32>(ctx + offset);
}

function loadContext(ctx: usize): void {
  rows = <usize>field(ctx, C_ROWS);
  stride = <usize>field(ctx, C_STRIDE);
  dim = field(ctx, C_DIM);
  kind = field(ctx, C_KIND);
  l2 = field(ctx, C_METRIC) == 1;
  maxM = field(ctx, C_M);
  maxM0 = field(ctx, C_M0);
  links0 = <usize>field(ctx, C_LINKS0);
  upperIndex = <usize>field(ctx, C_UPPER_INDEX);
  upper = <usize>field(ctx, C_UPPER);
  visited = <usize>field(ctx, C_VISITED);
  dead = <usize>field(ctx, C_DEAD);
  cand = <usize>field(ctx, C_CAND);
  result = <usize>field(ctx, C_RESULT);
  nodes = field(ctx, C_NODES);
  table = <usize>field(ctx, C_TABLE);
  subspaces = field(ctx, C_SUBSPACES);
}

/** The link list of `node` at `level`: an int32 count followed by up to M (level ≥ 1) or M0 ids. */
// @ts-ignore: decorator
@inline function linksOf(node: i32, level: i32): usize {
  if (level == 0) return links0 + <usize>node * (<usize>(maxM0 + 1) << 2);
  const block = load<i32>(upperIndex + (<usize>node << 2)) + level - 1;
  return upper + <usize>block * (<usize>(maxM + 1) << 2);
}

// @ts-ignore: decorator
@inline function maxLinks(level: i32): i32 {
  return level == 0 ? maxM0 : maxM;
}

// @ts-ignore: decorator
@inline function isDead(node: i32): bool {
  return dead != 0 && (load<u32>(dead + (<usize>(node >>> 5) << 2)) & (1 << (node & 31))) != 0;
}

// @ts-ignore: decorator
@inline function inBitset(words: usize, node: i32): bool {
  return (load<u32>(words + (<usize>(node >>> 5) << 2)) & (1 << (node & 31))) != 0;
}

/** Starts a new visited generation; marks of older generations read as unvisited. */
function nextEpoch(ctx: usize): u32 {
  let epoch = load<u32>(ctx + C_EPOCH) + 1;
  if (epoch == 0) {
    memory.fill(visited, 0, <usize>nodes << 2);
    epoch = 1;
  }
  store<u32>(ctx + C_EPOCH, epoch);
  return epoch;
}

// ---------------------------------------------------------------------------------------------------
// Scores (higher is better): dot, or the negated squared L2 distance. Canonical order: four f32x4
// accumulators over blocks of 16 values (accumulator b takes values 16i + 4b .. 16i + 4b + 3), the
// remaining groups of 4 into accumulator 0, v = (a0 + a1) + (a2 + a3), s = (v0 + v2) + (v1 + v3),
// then the last dim % 4 values one by one.

// @ts-ignore: decorator
@inline function term(q: v128, x: v128): v128 {
  if (l2) {
    const t = f32x4.sub(q, x);
    return f32x4.mul(t, t);
  }
  return f32x4.mul(q, x);
}

// @ts-ignore: decorator
@inline function termScalar(q: f32, x: f32): f32 {
  if (l2) {
    const t = q - x;
    return t * t;
  }
  return q * x;
}

// @ts-ignore: decorator
@inline function finish(a0: v128, a1: v128, a2: v128, a3: v128): f32 {
  const v = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  const t = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1);
}

/** float32 row. */
// @ts-ignore: decorator
@inline function scoreF32(q: usize, x: usize): f32 {
  const d16 = <usize>(dim & ~15) << 2;
  const d4 = <usize>(dim & ~3) << 2;
  const end = <usize>dim << 2;
  let a0 = f32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let j: usize = 0;
  for (; j < d16; j += 64) {
    a0 = f32x4.add(a0, term(v128.load(q + j), v128.load(x + j)));
    a1 = f32x4.add(a1, term(v128.load(q + j, 16), v128.load(x + j, 16)));
    a2 = f32x4.add(a2, term(v128.load(q + j, 32), v128.load(x + j, 32)));
    a3 = f32x4.add(a3, term(v128.load(q + j, 48), v128.load(x + j, 48)));
  }
  for (; j < d4; j += 16) a0 = f32x4.add(a0, term(v128.load(q + j), v128.load(x + j)));
  let s = finish(a0, a1, a2, a3);
  for (; j < end; j += 4) s += termScalar(load<f32>(q + j), load<f32>(x + j));
  return l2 ? -s : s;
}

/** Four binary16 values (uint32 lanes holding the bits) to float32, exact for finite values. */
// @ts-ignore: decorator
@inline function halvesToF32(h: v128): v128 {
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const magnitude = i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13);
  return v128.or(f32x4.mul(magnitude, f32x4.splat(<f32>5.192296858534828e33)), sign); // 2^112
}

// @ts-ignore: decorator
@inline function halfToF32(h: u32): f32 {
  const bits = ((h & 0x8000) << 16) | 0;
  const magnitude = reinterpret<f32>((h & 0x7fff) << 13) * <f32>5.192296858534828e33;
  return reinterpret<f32>(reinterpret<u32>(magnitude) | bits);
}

/** float16 row (finite values). */
// @ts-ignore: decorator
@inline function scoreF16(q: usize, x: usize): f32 {
  const n16 = dim & ~15;
  const n4 = dim & ~3;
  let a0 = f32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let j = 0;
  for (; j < n16; j += 16) {
    const qj = q + (<usize>j << 2);
    const xj = x + (<usize>j << 1);
    const lo = v128.load(xj);
    const hi = v128.load(xj, 16);
    a0 = f32x4.add(a0, term(v128.load(qj), halvesToF32(i32x4.extend_low_i16x8_u(lo))));
    a1 = f32x4.add(a1, term(v128.load(qj, 16), halvesToF32(i32x4.extend_high_i16x8_u(lo))));
    a2 = f32x4.add(a2, term(v128.load(qj, 32), halvesToF32(i32x4.extend_low_i16x8_u(hi))));
    a3 = f32x4.add(a3, term(v128.load(qj, 48), halvesToF32(i32x4.extend_high_i16x8_u(hi))));
  }
  for (; j < n4; j += 4) {
    const h = i32x4.extend_low_i16x8_u(v128.load64_zero(x + (<usize>j << 1)));
    a0 = f32x4.add(a0, term(v128.load(q + (<usize>j << 2)), halvesToF32(h)));
  }
  let s = finish(a0, a1, a2, a3);
  for (; j < dim; j++) s += termScalar(load<f32>(q + (<usize>j << 2)), halfToF32(<u32>load<u16>(x + (<usize>j << 1))));
  return l2 ? -s : s;
}

/** Four int8 codes (int32 lanes) as float32, times the row scale under l2 (dot scales once at the end). */
// @ts-ignore: decorator
@inline function codesToF32(c: v128, scale: v128): v128 {
  const f = f32x4.convert_i32x4_s(c);
  return l2 ? f32x4.mul(f, scale) : f;
}

/**
 * int8 row: dim codes, padded to a multiple of 4 bytes, then the float32 scale s (x ≈ s · c).
 * Dot: s · Σ q·c; l2: Σ (q − s·c)².
 */
// @ts-ignore: decorator
@inline function scoreI8(q: usize, x: usize): f32 {
  const n16 = dim & ~15;
  const n4 = dim & ~3;
  const scaleValue = load<f32>(x + <usize>((dim + 3) & ~3));
  const scale = f32x4.splat(scaleValue);
  let a0 = f32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let j = 0;
  for (; j < n16; j += 16) {
    const qj = q + (<usize>j << 2);
    const codes = v128.load(x + <usize>j);
    const lo = i16x8.extend_low_i8x16_s(codes);
    const hi = i16x8.extend_high_i8x16_s(codes);
    a0 = f32x4.add(a0, term(v128.load(qj), codesToF32(i32x4.extend_low_i16x8_s(lo), scale)));
    a1 = f32x4.add(a1, term(v128.load(qj, 16), codesToF32(i32x4.extend_high_i16x8_s(lo), scale)));
    a2 = f32x4.add(a2, term(v128.load(qj, 32), codesToF32(i32x4.extend_low_i16x8_s(hi), scale)));
    a3 = f32x4.add(a3, term(v128.load(qj, 48), codesToF32(i32x4.extend_high_i16x8_s(hi), scale)));
  }
  for (; j < n4; j += 4) {
    const c = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(x + <usize>j)));
    a0 = f32x4.add(a0, term(v128.load(q + (<usize>j << 2)), codesToF32(c, scale)));
  }
  let s = finish(a0, a1, a2, a3);
  for (; j < dim; j++) {
    let c = <f32>load<i8>(x + <usize>j);
    if (l2) c *= scaleValue;
    s += termScalar(load<f32>(q + (<usize>j << 2)), c);
  }
  if (l2) return -s;
  return s * scaleValue;
}

// ---------------------------------------------------------------------------------------------------
// Product-quantized rows: a code of `subspaces` entries (one byte each, or packed nibbles, low
// first), scored against the query's ADC table (subspaces × 256 or × 16 float32, at `table`):
// s = Σ_m table[m][code_m] in subspace order, float32 after every addition (as @quiver/pq's
// PqScorer), negated under l2 (the table holds squared distances there).

/** The table entry of subspace m for the code at x. */
// @ts-ignore: decorator
@inline function pqEntry(x: usize, m: i32): f32 {
  if (kind == KIND_PQ8) return load<f32>(table + (((<usize>m << 8) + <usize>load<u8>(x + <usize>m)) << 2));
  const byte = <u32>load<u8>(x + (<usize>m >> 1));
  return load<f32>(table + (((<usize>m << 4) + <usize>((byte >> ((<u32>m & 1) << 2)) & 15)) << 2));
}

// @ts-ignore: decorator
@inline function scorePq(x: usize): f32 {
  let s: f32 = 0;
  for (let m = 0; m < subspaces; m++) s += pqEntry(x, m);
  return l2 ? -s : s;
}

/** One 8-bit code's entry of subspace m, where `word` holds its code bytes of subspaces m & ~3 .. (m & ~3) + 3. */
// @ts-ignore: decorator
@inline function pq8Entry(m4: i32, word: u32, s: i32): f32 {
  return load<f32>(table + (((<usize>(m4 + s) << 8) + <usize>((word >> (<u32>s << 3)) & 0xff)) << 2));
}

/**
 * Scores the n gathered nodes at `ids` into `out`: 8-bit codes four at a time (each sum keeps
 * subspace order, the four chains overlap their loads), other kinds one by one.
 */
function scoreGathered(q: usize, ids: usize, n: i32, out: usize): void {
  let i = 0;
  if (kind == KIND_PQ8) {
    const M4 = subspaces & ~3;
    for (; i + 4 <= n; i += 4) {
      const x0 = rows + <usize>load<i32>(ids + (<usize>i << 2)) * stride;
      const x1 = rows + <usize>load<i32>(ids + (<usize>(i + 1) << 2)) * stride;
      const x2 = rows + <usize>load<i32>(ids + (<usize>(i + 2) << 2)) * stride;
      const x3 = rows + <usize>load<i32>(ids + (<usize>(i + 3) << 2)) * stride;
      let s0: f32 = 0;
      let s1: f32 = 0;
      let s2: f32 = 0;
      let s3: f32 = 0;
      let m = 0;
      for (; m < M4; m += 4) {
        const w0 = load<u32>(x0 + <usize>m);
        const w1 = load<u32>(x1 + <usize>m);
        const w2 = load<u32>(x2 + <usize>m);
        const w3 = load<u32>(x3 + <usize>m);
        s0 += pq8Entry(m, w0, 0);
        s1 += pq8Entry(m, w1, 0);
        s2 += pq8Entry(m, w2, 0);
        s3 += pq8Entry(m, w3, 0);
        s0 += pq8Entry(m, w0, 1);
        s1 += pq8Entry(m, w1, 1);
        s2 += pq8Entry(m, w2, 1);
        s3 += pq8Entry(m, w3, 1);
        s0 += pq8Entry(m, w0, 2);
        s1 += pq8Entry(m, w1, 2);
        s2 += pq8Entry(m, w2, 2);
        s3 += pq8Entry(m, w3, 2);
        s0 += pq8Entry(m, w0, 3);
        s1 += pq8Entry(m, w1, 3);
        s2 += pq8Entry(m, w2, 3);
        s3 += pq8Entry(m, w3, 3);
      }
      for (; m < subspaces; m++) {
        s0 += pqEntry(x0, m);
        s1 += pqEntry(x1, m);
        s2 += pqEntry(x2, m);
        s3 += pqEntry(x3, m);
      }
      const o = out + (<usize>i << 2);
      store<f32>(o, l2 ? -s0 : s0);
      store<f32>(o, l2 ? -s1 : s1, 4);
      store<f32>(o, l2 ? -s2 : s2, 8);
      store<f32>(o, l2 ? -s3 : s3, 12);
    }
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), score(q, load<i32>(ids + (<usize>i << 2))));
}

/** Score of the query against stored row `node`: the float32 query at q, or for PQ rows the ADC table. */
// @ts-ignore: decorator
@inline function score(q: usize, node: i32): f32 {
  const x = rows + <usize>node * stride;
  if (kind == KIND_F32) return scoreF32(q, x);
  if (kind == KIND_F16) return scoreF16(q, x);
  if (kind == KIND_I8) return scoreI8(q, x);
  return scorePq(x);
}

/** Loads one byte per cache line of a row, so its cache misses start now. */
// @ts-ignore: decorator
@inline function touch(x: usize): void {
  for (let b: usize = 0; b < stride; b += 64) load<u8>(x + b);
}

/**
 * Row `node` as a float32 vector: the row itself for float32 rows, else decoded into `out`. PQ rows
 * have no float32 form here (their codebooks live elsewhere): construction and repair over PQ codes
 * run in TypeScript, so reaching this with a PQ kind is a caller's bug and traps.
 */
function rowAsQuery(node: i32, out: usize): usize {
  const x = rows + <usize>node * stride;
  if (kind >= KIND_PQ8) unreachable();
  if (kind == KIND_F32) return x;
  if (kind == KIND_F16) {
    for (let j = 0; j < dim; j++) store<f32>(out + (<usize>j << 2), halfToF32(<u32>load<u16>(x + (<usize>j << 1))));
  } else {
    const scale = load<f32>(x + <usize>((dim + 3) & ~3));
    for (let j = 0; j < dim; j++) store<f32>(out + (<usize>j << 2), <f32>load<i8>(x + <usize>j) * scale);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Heaps of (f32 score, i32 id) pairs, 8 bytes each. "a before b" = higher score, then lower id.

// @ts-ignore: decorator
@inline function before(sa: f32, ia: i32, sb: f32, ib: i32): bool {
  return sa > sb || (sa == sb && ia < ib);
}

// @ts-ignore: decorator
@inline function heapScore(heap: usize, i: i32): f32 {
  return load<f32>(heap + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline function heapId(heap: usize, i: i32): i32 {
  return load<i32>(heap + (<usize>i << 3), 4);
}

// @ts-ignore: decorator
@inline function heapSet(heap: usize, i: i32, s: f32, id: i32): void {
  const p = heap + (<usize>i << 3);
  store<f32>(p, s);
  store<i32>(p, id, 4);
}

/**
 * Pushes onto a heap of `n` entries; `best` = best on top (candidates), else worst on top (results).
 * Always inlined with a constant `best`, so each heap gets its own branch-free comparisons.
 */
// @ts-ignore: decorator
@inline function heapPush(heap: usize, n: i32, s: f32, id: i32, best: bool): void {
  let i = n;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const ps = heapScore(heap, parent);
    const pid = heapId(heap, parent);
    const up = best ? before(s, id, ps, pid) : before(ps, pid, s, id);
    if (!up) break;
    heapSet(heap, i, ps, pid);
    i = parent;
  }
  heapSet(heap, i, s, id);
}

/** Removes the top of a heap of `n` entries (n ≥ 1). */
// @ts-ignore: decorator
@inline function heapPop(heap: usize, n: i32, best: bool): void {
  const last = n - 1;
  if (last == 0) return;
  const s = heapScore(heap, last);
  const id = heapId(heap, last);
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= last) break;
    let child = left;
    const right = left + 1;
    if (right < last) {
      const rightFirst = best
        ? before(heapScore(heap, right), heapId(heap, right), heapScore(heap, left), heapId(heap, left))
        : before(heapScore(heap, left), heapId(heap, left), heapScore(heap, right), heapId(heap, right));
      if (rightFirst) child = right;
    }
    const cs = heapScore(heap, child);
    const cid = heapId(heap, child);
    const down = best ? before(cs, cid, s, id) : before(s, id, cs, cid);
    if (!down) break;
    heapSet(heap, i, cs, cid);
    i = child;
  }
  heapSet(heap, i, s, id);
}

function candPush(s: f32, id: i32): void {
  heapPush(cand, candCount++, s, id, true);
}

function candPop(): void {
  heapPop(cand, candCount--, true);
}

function resultPush(s: f32, id: i32): void {
  heapPush(result, resultCount++, s, id, false);
}

function resultPop(): void {
  heapPop(result, resultCount--, false);
}

/** Sorts the result heap in place into best-first order (`resultCount` stays). */
function sortResults(): void {
  const n = resultCount;
  for (let end = n - 1; end > 0; end--) {
    const s = heapScore(result, 0);
    const id = heapId(result, 0);
    resultCount = end + 1;
    resultPop();
    heapSet(result, end, s, id);
  }
  resultCount = n;
}

// ---------------------------------------------------------------------------------------------------
// Search

/** Greedy walk on one upper level: moves to a better neighbour until none is. Returns the node; its score goes to `greedyScore`. */
let greedyScore: f32 = 0;

function greedy(q: usize, node: i32, s: f32, level: i32): i32 {
  let changed = true;
  while (changed) {
    changed = false;
    const list = linksOf(node, level);
    const count = load<i32>(list);
    for (let i = 0; i < count; i++) touch(rows + <usize>load<i32>(list + (<usize>(i + 1) << 2)) * stride);
    for (let i = 0; i < count; i++) {
      const v = load<i32>(list + (<usize>(i + 1) << 2));
      const sv = score(q, v);
      if (sv > s) {
        s = sv;
        node = v;
        changed = true;
      }
    }
  }
  greedyScore = s;
  return node;
}

/** The relaxed bound of kANNolo's distance-adaptive early exit: worst − |worst| · λ. */
// @ts-ignore: decorator
@inline function relaxed(worst: f32, lambda: f32): f32 {
  return worst - abs(worst) * lambda;
}


/**
 * Offers a scored node: it becomes a candidate when the result set is not full or it passes the
 * relaxed bound, and a result too when `admit`.
 */
// @ts-ignore: decorator
@inline function offer(s: f32, v: i32, ef: i32, lambda: f32, admit: bool): void {
  if (resultCount < ef || s >= relaxed(heapScore(result, 0), lambda)) {
    candPush(s, v);
    if (admit) {
      resultPush(s, v);
      if (resultCount > ef) resultPop();
    }
  }
}

/**
 * Beam search on one level from `entry`: the best `ef` admitted nodes, sorted best first in the
 * result area. Admitted = live and, with `allowed` (a bitset pointer, 0 = all), allowed. With
 * `acorn`, only allowed nodes are scored and traversed, and the neighbours of a disallowed
 * neighbour are looked at too (ACORN-1's two-hop expansion). Returns the number of results.
 */
function searchLayer(ctx: usize, q: usize, entry: i32, entryScore: f32, level: i32, ef: i32, lambda: f32, allowed: usize, acorn: bool): i32 {
  const epoch = nextEpoch(ctx);
  const gather = <usize>field(ctx, C_SELECT);
  candCount = 0;
  resultCount = 0;
  store<u32>(visited + (<usize>entry << 2), epoch);
  candPush(entryScore, entry);
  if (!isDead(entry) && (allowed == 0 || inBitset(allowed, entry))) resultPush(entryScore, entry);
  while (candCount > 0) {
    const cs = heapScore(cand, 0);
    const c = heapId(cand, 0);
    if (resultCount >= ef && cs < relaxed(heapScore(result, 0), lambda)) break;
    candPop();
    const list = linksOf(c, level);
    const count = load<i32>(list);
    if (!acorn) {
      // Gather the unvisited neighbours and touch their rows first: the cache misses of all of
      // them overlap (wasm has no prefetch instruction), then score them in order.
      let n = 0;
      for (let i = 0; i < count; i++) {
        const v = load<i32>(list + (<usize>(i + 1) << 2));
        const mark = visited + (<usize>v << 2);
        if (load<u32>(mark) == epoch) continue;
        store<u32>(mark, epoch);
        store<i32>(gather + (<usize>n << 2), v);
        n++;
        touch(rows + <usize>v * stride);
      }
      if (kind >= KIND_PQ8) {
        // Scores first (PQ codes four at a time), then the offers in gathering order.
        const scores = <usize>field(ctx, C_PRUNE);
        scoreGathered(q, gather, n, scores);
        for (let i = 0; i < n; i++) {
          const v = load<i32>(gather + (<usize>i << 2));
          offer(load<f32>(scores + (<usize>i << 2)), v, ef, lambda, !isDead(v) && (allowed == 0 || inBitset(allowed, v)));
        }
        continue;
      }
      for (let i = 0; i < n; i++) {
        const v = load<i32>(gather + (<usize>i << 2));
        offer(score(q, v), v, ef, lambda, !isDead(v) && (allowed == 0 || inBitset(allowed, v)));
      }
      continue;
    }
    for (let i = 0; i < count; i++) {
      const v = load<i32>(list + (<usize>(i + 1) << 2));
      const mark = visited + (<usize>v << 2);
      if (load<u32>(mark) == epoch) continue;
      store<u32>(mark, epoch);
      if (inBitset(allowed, v)) {
        offer(score(q, v), v, ef, lambda, !isDead(v));
      } else {
        const second = linksOf(v, level);
        const secondCount = load<i32>(second);
        for (let t = 0; t < secondCount; t++) {
          const w = load<i32>(second + (<usize>(t + 1) << 2));
          const wmark = visited + (<usize>w << 2);
          if (load<u32>(wmark) == epoch || !inBitset(allowed, w)) continue;
          store<u32>(wmark, epoch);
          offer(score(q, w), w, ef, lambda, !isDead(w));
        }
      }
    }
  }
  sortResults();
  return resultCount;
}

/**
 * Searches the graph for the float32 query in the context's query area: a greedy descent from the
 * entry point through the upper levels, then a beam search of width `ef` on level 0 (see
 * `searchLayer` for `lambda`, `allowed` and `acorn`). Writes up to `ef` (id, score) pairs, best
 * first, to the result area and returns how many.
 */
export function graphSearch(ctx: usize, ef: i32, lambda: f32, allowed: usize, acorn: bool): i32 {
  loadContext(ctx);
  let node = field(ctx, C_ENTRY);
  if (node < 0) return 0;
  const q = <usize>field(ctx, C_QUERY);
  let s = score(q, node);
  for (let level = field(ctx, C_MAX_LEVEL); level > 0; level--) {
    node = greedy(q, node, s, level);
    s = greedyScore;
  }
  return searchLayer(ctx, q, node, s, 0, ef, lambda, allowed, acorn);
}

/**
 * Scores the `count` nodes listed at `ids` (int32) against the query (the `query` area, or the ADC
 * table for PQ rows) and leaves the best `ef`, best first, in the result area; returns how many.
 * The exhaustive search of a small candidate set, e.g. the nodes a selective filter admits.
 */
export function graphScan(ctx: usize, ids: usize, count: i32, ef: i32): i32 {
  loadContext(ctx);
  const q = <usize>field(ctx, C_QUERY);
  const scores = <usize>field(ctx, C_PRUNE);
  resultCount = 0;
  for (let at = 0; at < count; at += maxM0) {
    const n = min(maxM0, count - at);
    const chunk = ids + (<usize>at << 2);
    for (let i = 0; i < n; i++) touch(rows + <usize>load<i32>(chunk + (<usize>i << 2)) * stride);
    scoreGathered(q, chunk, n, scores);
    for (let i = 0; i < n; i++) {
      const s = load<f32>(scores + (<usize>i << 2));
      const v = load<i32>(chunk + (<usize>i << 2));
      if (resultCount < ef) resultPush(s, v);
      else if (before(s, v, heapScore(result, 0), heapId(result, 0))) {
        resultPop();
        resultPush(s, v);
      }
    }
  }
  sortResults();
  return resultCount;
}

// ---------------------------------------------------------------------------------------------------
// Construction

/**
 * hnswlib's neighbour-selection heuristic: walks `n` (score, id) pairs at `pairs`, best first
 * (scores against the base node), and keeps a candidate unless an already kept one is closer to it
 * than the base is (score(candidate, kept) > score(candidate, base)). Stops at `limit`; pruned
 * candidates are not added back (keepPrunedConnections off). Writes the kept ids to `out`.
 */
function selectNeighbors(ctx: usize, pairs: usize, n: i32, limit: i32, out: usize): i32 {
  const scratch = <usize>field(ctx, C_QUERY2);
  let kept = 0;
  for (let i = 0; i < n && kept < limit; i++) {
    const c = heapId(pairs, i);
    const sc = heapScore(pairs, i);
    const cq = kept > 0 ? rowAsQuery(c, scratch) : scratch;
    let good = true;
    for (let j = 0; j < kept; j++) {
      if (score(cq, load<i32>(out + (<usize>j << 2))) > sc) {
        good = false;
        break;
      }
    }
    if (good) {
      store<i32>(out + (<usize>kept << 2), c);
      kept++;
    }
  }
  return kept;
}

/** Sorts n (score, id) pairs best first (insertion sort: n is at most 2 · M0 + 1). */
function sortPairs(pairs: usize, n: i32): void {
  for (let i = 1; i < n; i++) {
    const s = heapScore(pairs, i);
    const id = heapId(pairs, i);
    let j = i - 1;
    while (j >= 0 && before(s, id, heapScore(pairs, j), heapId(pairs, j))) {
      heapSet(pairs, j + 1, heapScore(pairs, j), heapId(pairs, j));
      j--;
    }
    heapSet(pairs, j + 1, s, id);
  }
}

/**
 * Re-selects the links of `node` at `level` from the ids in the prune area (n of them, their scores
 * not yet known) with the heuristic.
 */
function reselect(ctx: usize, node: i32, level: i32, n: i32): void {
  const prune = <usize>field(ctx, C_PRUNE);
  const q = rowAsQuery(node, <usize>field(ctx, C_QUERY));
  for (let i = 0; i < n; i++) touch(rows + <usize>heapId(prune, i) * stride);
  for (let i = 0; i < n; i++) {
    const id = heapId(prune, i);
    heapSet(prune, i, score(q, id), id);
  }
  sortPairs(prune, n);
  const list = linksOf(node, level);
  store<i32>(list, selectNeighbors(ctx, prune, n, maxLinks(level), list + 4));
}

/** Adds the link `node` → `target` at `level`, re-selecting `node`'s links with the heuristic when full. */
function addLink(ctx: usize, node: i32, target: i32, level: i32): void {
  const list = linksOf(node, level);
  const count = load<i32>(list);
  if (count < maxLinks(level)) {
    store<i32>(list + (<usize>(count + 1) << 2), target);
    store<i32>(list, count + 1);
    return;
  }
  const prune = <usize>field(ctx, C_PRUNE);
  for (let i = 0; i < count; i++) heapSet(prune, i, 0, load<i32>(list + (<usize>(i + 1) << 2)));
  heapSet(prune, count, 0, target);
  reselect(ctx, node, level, count + 1);
}

/**
 * Inserts `node` (its row stored, its upper-level blocks assigned, its link counts zero) with
 * `level` upper levels: greedy descent to level + 1, then on each level down to 0 a beam search of
 * width `efConstruction`, the heuristic picks M links, and each picked neighbour links back
 * (re-selecting its own links when full). Updates the entry point when `level` is a new top.
 */
export function graphInsert(ctx: usize, node: i32, level: i32, efConstruction: i32): void {
  loadContext(ctx);
  let entry = field(ctx, C_ENTRY);
  if (entry < 0) {
    store<i32>(ctx + C_ENTRY, node);
    store<i32>(ctx + C_MAX_LEVEL, level);
    return;
  }
  const queryArea = <usize>field(ctx, C_QUERY);
  let q = rowAsQuery(node, queryArea);
  const top = field(ctx, C_MAX_LEVEL);
  const select = <usize>field(ctx, C_SELECT);
  let s = score(q, entry);
  for (let l = top; l > level; l--) {
    entry = greedy(q, entry, s, l);
    s = greedyScore;
  }
  for (let l = min(level, top); l >= 0; l--) {
    // addLink below may decode other rows into the query area: decode this node again.
    q = rowAsQuery(node, queryArea);
    const found = searchLayer(ctx, q, entry, s, l, efConstruction, 0, 0, false);
    if (found == 0) continue;
    entry = heapId(result, 0);
    s = heapScore(result, 0);
    const kept = selectNeighbors(ctx, result, found, maxM, select);
    const list = linksOf(node, l);
    memory.copy(list + 4, select, <usize>kept << 2);
    store<i32>(list, kept);
    for (let i = 0; i < kept; i++) addLink(ctx, load<i32>(select + (<usize>i << 2)), node, l);
  }
  if (level > top) {
    store<i32>(ctx + C_ENTRY, node);
    store<i32>(ctx + C_MAX_LEVEL, level);
  }
}

/**
 * After `node` was tombstoned: every live neighbour u that links back to it on a level re-selects its
 * links from its own links and `node`'s, without `node` and without tombstoned nodes (hnswlib's
 * repair of in-neighbours). `node`'s own links stay, so searches still pass through it.
 */
export function graphRepair(ctx: usize, node: i32, level: i32): void {
  loadContext(ctx);
  const prune = <usize>field(ctx, C_PRUNE);
  for (let l = 0; l <= level; l++) {
    const own = linksOf(node, l);
    const ownCount = load<i32>(own);
    for (let i = 0; i < ownCount; i++) {
      const u = load<i32>(own + (<usize>(i + 1) << 2));
      if (isDead(u)) continue;
      const list = linksOf(u, l);
      const count = load<i32>(list);
      let linksBack = false;
      for (let j = 0; j < count; j++) if (load<i32>(list + (<usize>(j + 1) << 2)) == node) linksBack = true;
      if (!linksBack) continue;
      const epoch = nextEpoch(ctx);
      store<u32>(visited + (<usize>u << 2), epoch);
      store<u32>(visited + (<usize>node << 2), epoch);
      let n = 0;
      for (let j = 0; j < count; j++) n = collect(list, j, epoch, prune, n);
      for (let j = 0; j < ownCount; j++) n = collect(own, j, epoch, prune, n);
      reselect(ctx, u, l, n);
    }
  }
}

/** Appends entry j of a link list to the prune area unless visited in `epoch` or tombstoned. */
function collect(list: usize, j: i32, epoch: u32, prune: usize, n: i32): i32 {
  const v = load<i32>(list + (<usize>(j + 1) << 2));
  const mark = visited + (<usize>v << 2);
  if (load<u32>(mark) == epoch || isDead(v)) return n;
  store<u32>(mark, epoch);
  heapSet(prune, n, 0, v);
  return n + 1;
}

// ---------------------------------------------------------------------------------------------------
// Batched construction (parallel builds): a batch of unlinked nodes is first *planned* against the
// graph as it stood before the batch (read only, so threads plan different nodes at once, each with
// its own context), then *committed*: every thread applies the link changes of the nodes it owns
// (node % threads), in batch order, so no two threads write the same list and the graph does not
// depend on the thread count.
//
// A batch is a table of 16-byte entries: node, level, record pointer, levels planned (L = min(level,
// top) + 1). A record holds L link lists of M + 1 int32 (count, ids), level 0 first.

const BATCH_ENTRY: usize = 16;

/**
 * Merges the batch nodes before entry `b` (whose level is at least `level`) into the `found` sorted
 * results of a layer search, keeping the best `ef`: the nodes a serial insertion would also have
 * seen, since they were inserted before this one. Returns the new result count.
 */
function mergeMates(q: usize, batch: usize, b: i32, level: i32, ef: i32, found: i32): i32 {
  let n = found;
  for (let i = 0; i < b; i++) {
    const entry = batch + <usize>i * BATCH_ENTRY;
    if (load<i32>(entry, 4) < level) continue;
    const v = load<i32>(entry);
    const s = score(q, v);
    if (n == ef && !before(s, v, heapScore(result, n - 1), heapId(result, n - 1))) continue;
    let j = n < ef ? n : n - 1;
    while (j > 0 && before(s, v, heapScore(result, j - 1), heapId(result, j - 1))) {
      heapSet(result, j, heapScore(result, j - 1), heapId(result, j - 1));
      j--;
    }
    heapSet(result, j, s, v);
    if (n < ef) n++;
  }
  return n;
}

/**
 * Plans the batch entries first, first + step, ... below `count`: for each, the search and neighbour
 * selection of `graphInsert` on every level up to min(level, top), against the graph as it is (the
 * earlier batch nodes are scored as extra candidates), written to the entry's record. Writes nothing
 * but the records and this context's scratch.
 */
export function graphPlanInserts(ctx: usize, batch: usize, count: i32, first: i32, step: i32, efConstruction: i32): void {
  loadContext(ctx);
  const top = field(ctx, C_MAX_LEVEL);
  const recordBytes = <usize>(maxM + 1) << 2;
  for (let b = first; b < count; b += step) {
    const entryPtr = batch + <usize>b * BATCH_ENTRY;
    const node = load<i32>(entryPtr);
    const level = load<i32>(entryPtr, 4);
    const record = <usize>load<i32>(entryPtr, 8);
    let entry = field(ctx, C_ENTRY);
    const q = rowAsQuery(node, <usize>field(ctx, C_QUERY));
    let s = score(q, entry);
    for (let l = top; l > level; l--) {
      entry = greedy(q, entry, s, l);
      s = greedyScore;
    }
    for (let l = min(level, top); l >= 0; l--) {
      let found = searchLayer(ctx, q, entry, s, l, efConstruction, 0, 0, false);
      if (found > 0) {
        entry = heapId(result, 0);
        s = heapScore(result, 0);
      }
      found = mergeMates(q, batch, b, l, efConstruction, found);
      const list = record + <usize>l * recordBytes;
      store<i32>(list, found == 0 ? 0 : selectNeighbors(ctx, result, found, maxM, list + 4));
    }
  }
}

/**
 * Commits a planned batch, the share of thread `worker` of `threads`: for each entry in batch order,
 * the owner of the node (node % threads) installs its planned links, and the owner of each linked
 * node adds the reverse link (re-selecting when full), as `graphInsert` does.
 */
export function graphCommitInserts(ctx: usize, batch: usize, count: i32, worker: i32, threads: i32): void {
  loadContext(ctx);
  const recordBytes = <usize>(maxM + 1) << 2;
  for (let b = 0; b < count; b++) {
    const entryPtr = batch + <usize>b * BATCH_ENTRY;
    const node = load<i32>(entryPtr);
    const record = <usize>load<i32>(entryPtr, 8);
    const levels = load<i32>(entryPtr, 12);
    const mine = node % threads == worker;
    for (let l = 0; l < levels; l++) {
      const list = record + <usize>l * recordBytes;
      const kept = load<i32>(list);
      if (mine) memory.copy(linksOf(node, l), list, <usize>(kept + 1) << 2);
      for (let i = 0; i < kept; i++) {
        const target = load<i32>(list + (<usize>(i + 1) << 2));
        if (target % threads == worker) addLink(ctx, target, node, l);
      }
    }
  }
}
