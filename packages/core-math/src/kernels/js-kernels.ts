import type { Arena } from '../arena.js';
import { createJsGraphKernels } from './graph-kernels.js';
import { createJsLutKernels } from './lut-kernels.js';
import { createJsPqKernels } from './pq-kernels.js';
import { createJsTransformKernels } from './transform-kernels.js';
import type { Kernels } from './types.js';

const f32 = Math.fround;

/**
 * The TypeScript backend: the reference for the canonical summation order (see `Kernels`), and
 * the fallback where WebAssembly SIMD is unavailable. `Math.fround` after every operation makes
 * it bit-identical to the float32 SIMD code.
 */
export function createJsKernels(arena: Arena): Kernels {
  const dotPair = (mem: Float32Array, qi: number, xi: number, dim: number): number => {
    const d4 = dim & ~3;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let j = 0;
    for (; j < d4; j += 4) {
      a0 = f32(a0 + f32(mem[qi + j]! * mem[xi + j]!));
      a1 = f32(a1 + f32(mem[qi + j + 1]! * mem[xi + j + 1]!));
      a2 = f32(a2 + f32(mem[qi + j + 2]! * mem[xi + j + 2]!));
      a3 = f32(a3 + f32(mem[qi + j + 3]! * mem[xi + j + 3]!));
    }
    let s = f32(f32(a0 + a2) + f32(a1 + a3));
    for (; j < dim; j++) s = f32(s + f32(mem[qi + j]! * mem[xi + j]!));
    return s;
  };

  const l2Pair = (mem: Float32Array, qi: number, xi: number, dim: number): number => {
    const d4 = dim & ~3;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let j = 0;
    for (; j < d4; j += 4) {
      const t0 = f32(mem[qi + j]! - mem[xi + j]!);
      const t1 = f32(mem[qi + j + 1]! - mem[xi + j + 1]!);
      const t2 = f32(mem[qi + j + 2]! - mem[xi + j + 2]!);
      const t3 = f32(mem[qi + j + 3]! - mem[xi + j + 3]!);
      a0 = f32(a0 + f32(t0 * t0));
      a1 = f32(a1 + f32(t1 * t1));
      a2 = f32(a2 + f32(t2 * t2));
      a3 = f32(a3 + f32(t3 * t3));
    }
    let s = f32(f32(a0 + a2) + f32(a1 + a3));
    for (; j < dim; j++) {
      const t = f32(mem[qi + j]! - mem[xi + j]!);
      s = f32(s + f32(t * t));
    }
    return s;
  };

  const floatMany =
    (pair: typeof dotPair) =>
    (q: number, rows: number, n: number, dim: number, out: number): void => {
      const mem = new Float32Array(arena.buffer);
      const qi = q >> 2;
      const o = out >> 2;
      for (let i = 0; i < n; i++) mem[o + i] = pair(mem, qi, (rows >> 2) + i * dim, dim);
    };

  const floatGather =
    (pair: typeof dotPair) =>
    (q: number, rows: number, ids: number, n: number, dim: number, out: number): void => {
      const mem = new Float32Array(arena.buffer);
      const rowIds = new Uint32Array(arena.buffer, ids, n);
      const qi = q >> 2;
      const o = out >> 2;
      for (let i = 0; i < n; i++) mem[o + i] = pair(mem, qi, (rows >> 2) + rowIds[i]! * dim, dim);
    };

  const floatBatch =
    (pair: typeof dotPair) =>
    (queries: number, m: number, rows: number, n: number, dim: number, out: number): void => {
      const mem = new Float32Array(arena.buffer);
      for (let a = 0; a < m; a++) {
        const qi = (queries >> 2) + a * dim;
        const o = (out >> 2) + a * n;
        for (let i = 0; i < n; i++) mem[o + i] = pair(mem, qi, (rows >> 2) + i * dim, dim);
      }
    };

  const intMany =
    (signed: boolean) =>
    (q: number, rows: number, n: number, dim: number, out: number): void => {
      const buffer = arena.buffer;
      const bytes = signed ? new Int8Array(buffer) : new Uint8Array(buffer);
      const out32 = new Int32Array(buffer);
      for (let i = 0; i < n; i++) {
        const x = rows + i * dim;
        let s = 0;
        for (let j = 0; j < dim; j++) s += bytes[q + j]! * bytes[x + j]!;
        out32[(out >> 2) + i] = s;
      }
    };

  const intBatch = (many: ReturnType<typeof intMany>) =>
    (queries: number, m: number, rows: number, n: number, dim: number, out: number): void => {
      for (let a = 0; a < m; a++) many(queries + a * dim, rows, n, dim, out + a * n * 4);
    };

  const hamming = (q: number, codes: number, n: number, bytes: number, out: number): void => {
    const buffer = arena.buffer;
    const u8 = new Uint8Array(buffer);
    const out32 = new Uint32Array(buffer);
    for (let i = 0; i < n; i++) {
      const c = codes + i * bytes;
      let s = 0;
      for (let j = 0; j < bytes; j++) s += POPCOUNT8[u8[q + j]! ^ u8[c + j]!]!;
      out32[(out >> 2) + i] = s;
    }
  };

  const dotI8 = intMany(true);
  const dotU8 = intMany(false);

  return {
    ...createJsLutKernels(arena),
    ...createJsPqKernels(arena),
    ...createJsGraphKernels(arena),
    ...createJsTransformKernels(arena),
    backend: 'js',
    arena,
    dotF32: floatMany(dotPair),
    l2sqF32: floatMany(l2Pair),
    dotF32Batch: floatBatch(dotPair),
    l2sqF32Batch: floatBatch(l2Pair),
    dotF32Gather: floatGather(dotPair),
    l2sqF32Gather: floatGather(l2Pair),
    dotI8,
    dotI8Batch: intBatch(dotI8),
    dotU8,
    dotU8Batch: intBatch(dotU8),
    hamming,
    hammingBatch(queries, m, codes, n, bytes, out) {
      for (let a = 0; a < m; a++) hamming(queries + a * bytes, codes, n, bytes, out + a * n * 4);
    },
    selectAboveF32(values, m, n, thresholds, negate, out, capacity) {
      const buffer = arena.buffer;
      const tile = new Float32Array(buffer, values, m * n);
      const bars = new Float32Array(buffer, thresholds, m);
      const indices = new Uint32Array(buffer, out, Math.max(0, Math.min(capacity, m * n)));
      let count = 0;
      for (let a = 0; a < m; a++) {
        const t = bars[a]!;
        for (let i = a * n, end = i + n; i < end; i++) {
          const v = negate ? -tile[i]! : tile[i]!;
          if (!(v <= t)) {
            if (count < capacity) indices[count] = i;
            count++;
          }
        }
      }
      return count;
    },
    selectAboveI32(values, m, n, thresholds, negate, out, capacity) {
      const buffer = arena.buffer;
      const tile = new Int32Array(buffer, values, m * n);
      const bars = new Int32Array(buffer, thresholds, m);
      const indices = new Uint32Array(buffer, out, Math.max(0, Math.min(capacity, m * n)));
      let count = 0;
      for (let a = 0; a < m; a++) {
        const t = bars[a]!;
        for (let i = a * n, end = i + n; i < end; i++) {
          // `| 0` wraps like the module's i32 negation.
          if ((negate ? -tile[i]! | 0 : tile[i]!) > t) {
            if (count < capacity) indices[count] = i;
            count++;
          }
        }
      }
      return count;
    },
    selectSketchBounds(dots, m, n, params, stats, thresholds, out, capacity) {
      const buffer = arena.buffer;
      const tile = new Int32Array(buffer, dots, m * n);
      const p = new Float32Array(buffer, params, m * 5);
      const st = new Float32Array(buffer, stats, n * 4);
      const bars = new Float32Array(buffer, thresholds, m);
      const indices = new Uint32Array(buffer, out, Math.max(0, Math.min(capacity, m * n)));
      let count = 0;
      for (let a = 0; a < m; a++) {
        const p0 = p[a * 5]!;
        const p1 = p[a * 5 + 1]!;
        const p2 = p[a * 5 + 2]!;
        const p3 = p[a * 5 + 3]!;
        const p4 = p[a * 5 + 4]!;
        const t = bars[a]!;
        for (let i = 0; i < n; i++) {
          const s = i * 4;
          let u = f32(p0 * f32(st[s]! * f32(tile[a * n + i]!)));
          u = f32(u + f32(p1 * st[s + 1]!));
          u = f32(u + f32(p2 * st[s + 2]!));
          u = f32(u + f32(p3 * st[s + 3]!));
          u = f32(u + p4);
          if (!(u < t)) {
            if (count < capacity) indices[count] = a * n + i;
            count++;
          }
        }
      }
      return count;
    },
    sketchI8(values, n, dim, codes, stats) {
      const buffer = arena.buffer;
      const from = new Float32Array(buffer, values, n * dim);
      const to = new Int8Array(buffer, codes, n * dim);
      const st = new Float32Array(buffer, stats, n * 4);
      for (let r = 0; r < n; r++) {
        sketchVectorInt8(from, r * dim, dim, to, r * dim, sketchScratch);
        st[r * 4] = sketchScratch.scale;
        st[r * 4 + 1] = Math.sqrt(sketchScratch.residualSq) * SKETCH_ROUND_UP + SKETCH_ROUND_UP_ABS;
        st[r * 4 + 2] = Math.sqrt(sketchScratch.normSq) * SKETCH_ROUND_UP + SKETCH_ROUND_UP_ABS;
        const normSq = f32(sketchScratch.normSq);
        st[r * 4 + 3] = Number.isFinite(normSq) ? normSq : NaN;
      }
    },
    f16ToF32(src, dst, count) {
      const buffer = arena.buffer;
      const from = new Uint16Array(buffer, src, count);
      const to = new Float32Array(buffer, dst, count);
      for (let i = 0; i < count; i++) to[i] = halfToFloat(from[i]!);
    },
    f32ToF16(src, dst, count) {
      const buffer = arena.buffer;
      const from = new Float32Array(buffer, src, count);
      const to = new Uint16Array(buffer, dst, count);
      for (let i = 0; i < count; i++) to[i] = floatToHalf(from[i]!);
    },
  };
}

/** Largest int8 sketch code magnitude (symmetric codes). */
export const SKETCH_MAX_CODE = 127;
/**
 * `sketchI8` stores norms multiplied by this factor. Their float64 sums of squares err by at most
 * (dim + 4)·2^-53 relative (nonnegative terms, each rounded once, plus the residual subtraction),
 * the square root and this product add 2^-52, the float32 store 2^-24 (in the normal range): far
 * below 2^-20.
 */
export const SKETCH_ROUND_UP = 1 + 2 ** -20;
/** Added to stored norms as well: rounding to a float32 subnormal loses up to 2^-150 absolutely. */
const SKETCH_ROUND_UP_ABS = 2 ** -149;

/** One vector's sketch: its scale and the float64 sums behind the stats. */
export interface VectorSketchInt8 {
  scale: number;
  /** Σ (v_j − scale·c_j)² */
  residualSq: number;
  /** Σ v_j² */
  normSq: number;
  /** Σ c_j² (exact) */
  codeNormSq: number;
}

const sketchScratch: VectorSketchInt8 = { scale: 0, residualSq: 0, normSq: 0, codeNormSq: 0 };

/** Round half to even, as WebAssembly's `nearest` (Math.round rounds halves up). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The canonical int8 sketch of one vector, which the SIMD kernel reproduces bit for bit:
 * scale = f32(maxAbs / 127); c_j = clamp(roundHalfEven(f32(v_j / scale)), ±127), all 0 when the
 * scale is 0 (maxAbs below 127 · 2^-150; a float64 division rounded to float32 equals the float32 division, so the codes match the
 * kernel's); the sums of e_j² (e_j = v_j − scale·c_j) and v_j² in float64, in the float kernels'
 * canonical order: lanes l = j mod 4 over the first dim − dim % 4 terms, (l0 + l2) + (l1 + l3), then
 * the last terms one by one.
 *
 * Why float64 keeps the bounds rigorous: scale·c_j is exact (24 + 7 significant bits), so e_j is
 * rounded once (relative error 2^-53), and the sums of nonnegative terms err by at most
 * (dim/4 + 4)·2^-53 relative. Float64 neither underflows nor overflows on squares of float32 values.
 * `sketchI8` stores ‖x‖² as NaN when it overflows float32 (‖x‖ > ~1.8e19): an infinite ‖x‖² would
 * make the l2 upper bound −Infinity and prune the row, while NaN bounds always keep it.
 */
export function sketchVectorInt8(
  values: ArrayLike<number>,
  offset: number,
  dim: number,
  codes: Int8Array,
  codeOffset: number,
  out: VectorSketchInt8,
): void {
  let maxAbs = 0;
  for (let j = 0; j < dim; j++) maxAbs = Math.max(maxAbs, Math.abs(values[offset + j]!));
  const scale = f32(maxAbs / SKETCH_MAX_CODE);
  const d4 = dim & ~3;
  // Four lanes per sum, as the float kernels' canonical order.
  const residualLanes = [0, 0, 0, 0];
  const normLanes = [0, 0, 0, 0];
  let residualSq = 0;
  let normSq = 0;
  let codeNormSq = 0;
  for (let j = 0; j < dim; j++) {
    if (j === d4) {
      residualSq = residualLanes[0]! + residualLanes[2]! + (residualLanes[1]! + residualLanes[3]!);
      normSq = normLanes[0]! + normLanes[2]! + (normLanes[1]! + normLanes[3]!);
    }
    const v = values[offset + j]!;
    const q = f32(v / scale);
    const code = scale === 0 ? 0 : Math.max(-SKETCH_MAX_CODE, Math.min(SKETCH_MAX_CODE, roundHalfEven(q)));
    codes[codeOffset + j] = code;
    codeNormSq += code * code;
    const e = v - scale * code;
    if (j < d4) {
      residualLanes[j & 3]! += e * e;
      normLanes[j & 3]! += v * v;
    } else {
      residualSq += e * e;
      normSq += v * v;
    }
  }
  if (d4 === dim) {
    residualSq = residualLanes[0]! + residualLanes[2]! + (residualLanes[1]! + residualLanes[3]!);
    normSq = normLanes[0]! + normLanes[2]! + (normLanes[1]! + normLanes[3]!);
  }
  out.scale = scale;
  out.residualSq = residualSq;
  out.normSq = normSq;
  out.codeNormSq = codeNormSq;
}

const POPCOUNT8 = (() => {
  const table = new Uint8Array(256);
  for (let i = 1; i < 256; i++) table[i] = (i & 1) + table[i >> 1]!;
  return table;
})();

/** binary16 bits → number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const scratch = new DataView(new ArrayBuffer(4));

/** number → binary16 bits, rounding the float32 value to nearest even. */
export function floatToHalf(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  const e = exponent - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // rounds to ±0
    mantissa |= 0x800000; // make the implicit bit explicit
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    const rounded = remainder > midpoint || (remainder === midpoint && (half & 1)) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (e << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // Carrying into the exponent is right: it rounds up to the next power of two or to Infinity.
  return sign | (remainder > 0x1000 || (remainder === 0x1000 && (half & 1)) ? half + 1 : half);
}
