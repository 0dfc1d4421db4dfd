import type { Arena } from '../arena.js';
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
    backend: 'js',
    arena,
    dotF32: floatMany(dotPair),
    l2sqF32: floatMany(l2Pair),
    dotF32Batch: floatBatch(dotPair),
    l2sqF32Batch: floatBatch(l2Pair),
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
