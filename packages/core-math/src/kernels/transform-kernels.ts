import type { Arena } from '../arena.js';

/**
 * Vector transforms: TurboQuant's randomized Hadamard rotation and its fused row encoder (turbovec
 * 1.0's arithmetic, bit for bit). Pointers are byte offsets into the arena's memory; float32 and
 * int32 pointers are 4-byte aligned. Every float operation below is one IEEE operation rounded to
 * float32 (f32) or float64 (f64), in the order written; there is no FMA. Both backends give
 * bit-identical results.
 *
 * ## Rotation
 * Rows have `dim` float32 values, `dim` a positive multiple of 8; `block` is a power of two ≥ 8
 * dividing `dim` (TurboQuant takes the largest). The rotation has `rounds` ≥ 1 rounds; round r's
 * table, at `tables + r · 8 · dim`, is a permutation (`dim` int32 indices) followed by `dim`
 * float32 signs (±1). A round maps x to y:
 *   y[i] = f32(x[perm[i]] · inv) · sign[i]      (inv in round 0 only; later rounds use 1)
 * then, on each `block`-long run of y, the Walsh-Hadamard stages len = 1, 2, 4, ..., block/2: every
 * pair (a, b) = (y[j], y[j + len]) with bit len of (j − run start) clear becomes (a + b, a − b);
 * the last stage's outputs are multiplied by f32(1 / f32(√block)). With `normalize`, inv is the
 * row's inverse norm, else 1:
 *   c_k = Σ_{j ≡ k mod 8} f32(x[j]²) (f32, j ascending), ‖x‖ = f32(√(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)))),
 *   inv = ‖x‖ > f32(1e-10) ? f32(1 / ‖x‖) : 0.
 *
 * ## Encoding
 * For each row x: u = the rotation of x with inv its inverse norm. With a calibration (`calibration`
 * ≠ 0, `transformCalibrationBytes(dim)` bytes: `dim` float32 shifts, `dim` float32 scales, then as
 * float64 the same shifts and the inverse scales f32(1 / scale)), x'[d] = f32(f32(u[d] + shift[d])
 * · scale[d]); without, x' = u. code[d] is the number of `boundaries` (2^bits − 1 float32 values,
 * ascending) strictly below x'[d], for bits in 1..8. The reconstruction inner product is the f64
 * sum of t_d = u[d] · (centroid[code[d]] · invScale[d] − shift[d]) (uncalibrated: u[d] ·
 * centroid[code[d]]; `centroids` are 2^bits float64 values, 8-byte aligned) in four chains
 * c_{d % 4} (d ascending), inner = (c0 + c1) + (c2 + c3). The row's scale is
 * inner > 0.1 ? f32(‖x‖ / f64(f32(inner))) : 0 (float32 at `scales + 4i`).
 *
 * Codes are packed as bit planes, `bits · dim / 8` bytes per row at `codes + i · bits · dim / 8`:
 * plane p (dim / 8 bytes, lowest plane first) holds bit p of code[8c + k] at bit 7 − k of byte c.
 *
 * The encoder also checks its input: it returns the index of the first row holding a value of
 * magnitude f32(1e16) or more, or NaN (turbovec's input cap), or n when there is none. Such rows are
 * encoded all the same, with meaningless results.
 *
 * Both kernels need `transformScratchBytes(dim)` bytes of scratch; `dst` must not overlap `src`.
 */
export interface TransformKernels {
  /** Rotates n rows (n × dim float32 at `src`) into `dst` (n × dim float32). */
  hadamardRotateRows(
    src: number,
    n: number,
    dim: number,
    block: number,
    rounds: number,
    tables: number,
    normalize: boolean,
    dst: number,
    scratch: number,
  ): void;
  /**
   * Encodes n rows (n × dim float32 at `src`): packed codes at `codes`, one float32 scale per row at
   * `scales`. Returns the first row with an out-of-range value, or n.
   */
  turboQuantEncodeRows(
    src: number,
    n: number,
    dim: number,
    block: number,
    rounds: number,
    tables: number,
    bits: number,
    boundaries: number,
    centroids: number,
    calibration: number,
    codes: number,
    scales: number,
    scratch: number,
  ): number;
}

/** Scratch bytes the transform kernels need for rows of `dim` values: two float32 rows and a byte row. */
export function transformScratchBytes(dim: number): number {
  return 9 * dim;
}

/** Bytes of an encoder calibration for rows of `dim` values (see the layout above); 8-byte align it. */
export function transformCalibrationBytes(dim: number): number {
  return 24 * dim;
}

const MIN_NORM = Math.fround(1e-10);
const MAX_MAGNITUDE = Math.fround(1e16);
const DEGENERATE_INNER = 0.1;

/** Typed views of the whole arena memory. */
interface MemoryViews {
  readonly buffer: ArrayBufferLike;
  readonly floats: Float32Array;
  readonly doubles: Float64Array;
  readonly ints: Int32Array;
  readonly bytes: Uint8Array;
}

/** The TypeScript implementation, with results equal to the WebAssembly one. */
export function createJsTransformKernels(arena: Arena): TransformKernels {
  /** The code lookup of the last boundaries encoded with (rebuilt when they change). */
  let grid: BoundaryGrid | undefined;
  let cached: MemoryViews | undefined;
  /** Views over the current memory, made again only after it grows (a call on one row allocates nothing). */
  const views = (): MemoryViews => {
    const buffer = arena.buffer;
    if (cached?.buffer !== buffer) {
      cached = { buffer, floats: new Float32Array(buffer), doubles: new Float64Array(buffer), ints: new Int32Array(buffer), bytes: new Uint8Array(buffer) };
    }
    return cached;
  };
  return {
    hadamardRotateRows(src, n, dim, block, rounds, tables, normalize, dst, scratch) {
      const { floats, ints } = views();
      for (let i = 0; i < n; i++) {
        const row = (src >> 2) + i * dim;
        const inv = normalize ? inverseNorm(turbovecNorm(floats, row, dim)) : 1;
        rotateRow(floats, ints, row, (dst >> 2) + i * dim, scratch >> 2, dim, block, rounds, tables >> 2, inv);
      }
    },

    turboQuantEncodeRows(src, n, dim, block, rounds, tables, bits, boundaries, centroids, calibration, codes, scales, scratch) {
      const memory = views();
      const { floats, doubles, ints, bytes } = memory;
      const count = (1 << bits) - 1;
      if (grid === undefined || !grid.holds(floats, boundaries >> 2, count)) {
        grid = new BoundaryGrid(floats.slice(boundaries >> 2, (boundaries >> 2) + count));
      }
      const u = scratch >> 2;
      const x = u + dim; // the rotation's second buffer, free once the row is rotated
      const rowCodes = scratch + 8 * dim;
      const codeBytes = (dim * bits) >> 3;
      const c = centroids >> 3;
      const shift = calibration >> 2;
      const scale = shift + dim;
      const wideShift = (calibration >> 3) + dim;
      let firstInvalid = n;
      for (let i = 0; i < n; i++) {
        const row = (src >> 2) + i * dim;
        if (firstInvalid === n && !inRange(floats, row, dim)) firstInvalid = i;
        const norm = turbovecNorm(floats, row, dim);
        rotateRow(floats, ints, row, u, x, dim, block, rounds, tables >> 2, inverseNorm(norm));
        if (calibration !== 0) {
          for (let d = 0; d < dim; d++) floats[x + d] = Math.fround(floats[u + d]! + floats[shift + d]!) * floats[scale + d]!;
        }
        grid.codesOf(floats, calibration !== 0 ? x : u, bytes, rowCodes, dim);
        // Four f64 chains, term d in chain d % 4.
        let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        if (calibration === 0) {
          for (let d = 0; d < dim; d += 4) {
            c0 += floats[u + d]! * doubles[c + bytes[rowCodes + d]!]!;
            c1 += floats[u + d + 1]! * doubles[c + bytes[rowCodes + d + 1]!]!;
            c2 += floats[u + d + 2]! * doubles[c + bytes[rowCodes + d + 2]!]!;
            c3 += floats[u + d + 3]! * doubles[c + bytes[rowCodes + d + 3]!]!;
          }
        } else {
          for (let d = 0; d < dim; d += 4) {
            c0 += calibratedTerm(memory, u, rowCodes, c, wideShift, wideShift + dim, d);
            c1 += calibratedTerm(memory, u, rowCodes, c, wideShift, wideShift + dim, d + 1);
            c2 += calibratedTerm(memory, u, rowCodes, c, wideShift, wideShift + dim, d + 2);
            c3 += calibratedTerm(memory, u, rowCodes, c, wideShift, wideShift + dim, d + 3);
          }
        }
        packPlanes(bytes, rowCodes, dim, bits, codes + i * codeBytes);
        const inner = c0 + c1 + (c2 + c3);
        floats[(scales >> 2) + i] = inner > DEGENERATE_INNER ? norm / Math.fround(inner) : 0;
      }
      return firstInvalid;
    },
  };
}

/** u[d] · (centroid[code[d]] · invScale[d] − shift[d]) in f64; u, codes, centroids, shifts and inverse scales are element indices. */
function calibratedTerm(memory: MemoryViews, u: number, codes: number, centroids: number, shifts: number, inverseScales: number, d: number): number {
  const { floats, doubles, bytes } = memory;
  return floats[u + d]! * (doubles[centroids + bytes[codes + d]!]! * doubles[inverseScales + d]! - doubles[shifts + d]!);
}

const HOLDS_BOUNDARY = 0x8000;

/**
 * The TypeScript encoder's code lookup (the number of boundaries strictly below x). A uniform grid
 * of cells over the boundaries' range answers almost every lookup with one table read. The cell
 * index `clamp(floor((x - low) * cellsPerUnit), 0, cells - 1)` is a monotone function of x,
 * computed identically for boundaries and values, so every boundary in a lower cell is below x and
 * every boundary in a higher cell is above it. Each cell stores the number of boundaries in lower
 * cells, flagged when the cell itself holds a boundary; only flagged cells compare x against their
 * own boundaries. The result is exact whatever the grid's rounding.
 */
class BoundaryGrid {
  private readonly boundaries: Float32Array;
  private readonly low: number;
  private readonly cellsPerUnit: number;
  private readonly lastCell: number;
  private readonly cells: Uint16Array;

  constructor(boundaries: Float32Array) {
    this.boundaries = boundaries;
    const n = boundaries.length;
    this.low = boundaries[0]!;
    const span = boundaries[n - 1]! - this.low;
    const cellCount = span > 0 ? 64 * (n + 1) : 1;
    this.cellsPerUnit = span > 0 ? cellCount / span : 0;
    this.lastCell = cellCount - 1;
    this.cells = new Uint16Array(cellCount);
    let k = 0;
    for (let cell = 0; cell < cellCount; cell++) {
      const below = k;
      while (k < n && this.cellOf(boundaries[k]!) === cell) k++;
      this.cells[cell] = below | (k > below ? HOLDS_BOUNDARY : 0);
    }
  }

  /** True when this grid was built for the `count` boundaries at float index `at`. */
  holds(floats: Float32Array, at: number, count: number): boolean {
    if (count !== this.boundaries.length) return false;
    for (let k = 0; k < count; k++) if (!Object.is(floats[at + k], this.boundaries[k])) return false;
    return true;
  }

  /** Writes the code of `floats[from + d]` to `bytes[to + d]` for d < n. */
  codesOf(floats: Float32Array, from: number, bytes: Uint8Array, to: number, n: number): void {
    const { boundaries, low, cellsPerUnit, lastCell, cells } = this;
    for (let d = 0; d < n; d++) {
      const x = floats[from + d]!;
      const t = (x - low) * cellsPerUnit;
      const entry = cells[t > 0 ? (t < lastCell ? t | 0 : lastCell) : 0]!;
      let code = entry & ~HOLDS_BOUNDARY;
      if (entry & HOLDS_BOUNDARY) {
        while (code < boundaries.length && boundaries[code]! < x) code++;
      }
      bytes[to + d] = code;
    }
  }

  private cellOf(x: number): number {
    const t = (x - this.low) * this.cellsPerUnit;
    return t > 0 ? (t < this.lastCell ? t | 0 : this.lastCell) : 0;
  }
}

/** turbovec's norm of floats[row .. row + dim) (dim a multiple of 8). */
function turbovecNorm(floats: Float32Array, row: number, dim: number): number {
  const fround = Math.fround;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  for (let j = row; j < row + dim; j += 8) {
    const v0 = floats[j]!, v1 = floats[j + 1]!, v2 = floats[j + 2]!, v3 = floats[j + 3]!;
    const v4 = floats[j + 4]!, v5 = floats[j + 5]!, v6 = floats[j + 6]!, v7 = floats[j + 7]!;
    a0 = fround(a0 + fround(v0 * v0));
    a1 = fround(a1 + fround(v1 * v1));
    a2 = fround(a2 + fround(v2 * v2));
    a3 = fround(a3 + fround(v3 * v3));
    a4 = fround(a4 + fround(v4 * v4));
    a5 = fround(a5 + fround(v5 * v5));
    a6 = fround(a6 + fround(v6 * v6));
    a7 = fround(a7 + fround(v7 * v7));
  }
  const sum = fround(fround(fround(a0 + a1) + fround(a2 + a3)) + fround(fround(a4 + a5) + fround(a6 + a7)));
  return fround(Math.sqrt(sum));
}

function inRange(floats: Float32Array, row: number, dim: number): boolean {
  for (let j = row; j < row + dim; j++) if (!(Math.abs(floats[j]!) < MAX_MAGNITUDE)) return false;
  return true;
}

function inverseNorm(norm: number): number {
  return norm > MIN_NORM ? Math.fround(1 / norm) : 0;
}

/** All rounds of the row at float index `src` into `dst`, alternating with `scratch` so the last round lands in `dst`. */
function rotateRow(
  floats: Float32Array,
  ints: Int32Array,
  src: number,
  dst: number,
  scratch: number,
  dim: number,
  block: number,
  rounds: number,
  tables: number,
  inv: number,
): void {
  const scale = Math.fround(1 / Math.fround(Math.sqrt(block)));
  let from = src;
  for (let r = 0; r < rounds; r++) {
    const to = ((rounds - 1 - r) & 1) === 0 ? dst : scratch;
    const perm = tables + r * 2 * dim;
    rotationRound(floats, ints, from, to, dim, block, perm, perm + dim, r === 0 ? inv : 1, scale);
    from = to;
  }
}

/** One round: the scaled, signed gather feeding stages len = 1, 2, 4 per group of eight, then the wider stages. */
function rotationRound(
  floats: Float32Array,
  ints: Int32Array,
  src: number,
  dst: number,
  dim: number,
  block: number,
  perm: number,
  sign: number,
  inv: number,
  scale: number,
): void {
  const fround = Math.fround;
  const last = block === 8;
  for (let i = 0; i < dim; i += 8) {
    const p = perm + i;
    const s = sign + i;
    const x0 = fround(floats[src + ints[p]!]! * inv) * floats[s]!;
    const x1 = fround(floats[src + ints[p + 1]!]! * inv) * floats[s + 1]!;
    const x2 = fround(floats[src + ints[p + 2]!]! * inv) * floats[s + 2]!;
    const x3 = fround(floats[src + ints[p + 3]!]! * inv) * floats[s + 3]!;
    const x4 = fround(floats[src + ints[p + 4]!]! * inv) * floats[s + 4]!;
    const x5 = fround(floats[src + ints[p + 5]!]! * inv) * floats[s + 5]!;
    const x6 = fround(floats[src + ints[p + 6]!]! * inv) * floats[s + 6]!;
    const x7 = fround(floats[src + ints[p + 7]!]! * inv) * floats[s + 7]!;
    butterfly8(x0, x1, x2, x3, x4, x5, x6, x7, floats, dst + i, last ? scale : 1);
  }
  if (!last) {
    for (let start = dst; start < dst + dim; start += block) hadamardAbove8(floats, start, block, scale);
  }
}

/**
 * Stages len = 1, 2, 4 of eight values (sign flips are exact, so the ±1 products need no rounding),
 * written to `out[j .. j+8)` times `scale` (1 unless these are the block's last stages).
 */
function butterfly8(
  x0: number,
  x1: number,
  x2: number,
  x3: number,
  x4: number,
  x5: number,
  x6: number,
  x7: number,
  out: Float32Array,
  j: number,
  scale: number,
): void {
  const fround = Math.fround;
  const s01 = fround(x0 + x1), d01 = fround(x0 - x1), s23 = fround(x2 + x3), d23 = fround(x2 - x3);
  const s45 = fround(x4 + x5), d45 = fround(x4 - x5), s67 = fround(x6 + x7), d67 = fround(x6 - x7);
  const y0 = fround(s01 + s23), y2 = fround(s01 - s23), y1 = fround(d01 + d23), y3 = fround(d01 - d23);
  const y4 = fround(s45 + s67), y6 = fround(s45 - s67), y5 = fround(d45 + d67), y7 = fround(d45 - d67);
  out[j] = fround(y0 + y4) * scale;
  out[j + 1] = fround(y1 + y5) * scale;
  out[j + 2] = fround(y2 + y6) * scale;
  out[j + 3] = fround(y3 + y7) * scale;
  out[j + 4] = fround(y0 - y4) * scale;
  out[j + 5] = fround(y1 - y5) * scale;
  out[j + 6] = fround(y2 - y6) * scale;
  out[j + 7] = fround(y3 - y7) * scale;
}

/**
 * Stages len = 8 .. block/2 of the block at `start`, in place: three stages per memory pass while
 * three remain, then two, then one (each value the same expression tree as the radix-2 stages);
 * `scale` multiplies the last stage.
 */
function hadamardAbove8(x: Float32Array, start: number, block: number, scale: number): void {
  const fround = Math.fround;
  const end = start + block;
  let len = 8;
  while (len * 8 <= block) {
    const s = len * 8 === block ? scale : 1;
    for (let i = start; i < end; i += 8 * len) {
      for (let j = i; j < i + len; j++) {
        const a = x[j]!, b = x[j + len]!, c = x[j + 2 * len]!, d = x[j + 3 * len]!;
        const e = x[j + 4 * len]!, f = x[j + 5 * len]!, g = x[j + 6 * len]!, h = x[j + 7 * len]!;
        const apb = fround(a + b), amb = fround(a - b), cpd = fround(c + d), cmd = fround(c - d);
        const epf = fround(e + f), emf = fround(e - f), gph = fround(g + h), gmh = fround(g - h);
        const s0 = fround(apb + cpd), s1 = fround(amb + cmd), s2 = fround(apb - cpd), s3 = fround(amb - cmd);
        const s4 = fround(epf + gph), s5 = fround(emf + gmh), s6 = fround(epf - gph), s7 = fround(emf - gmh);
        x[j] = fround(s0 + s4) * s;
        x[j + len] = fround(s1 + s5) * s;
        x[j + 2 * len] = fround(s2 + s6) * s;
        x[j + 3 * len] = fround(s3 + s7) * s;
        x[j + 4 * len] = fround(s0 - s4) * s;
        x[j + 5 * len] = fround(s1 - s5) * s;
        x[j + 6 * len] = fround(s2 - s6) * s;
        x[j + 7 * len] = fround(s3 - s7) * s;
      }
    }
    len *= 8;
  }
  if (len * 4 <= block) {
    const s = len * 4 === block ? scale : 1;
    for (let i = start; i < end; i += 4 * len) {
      for (let j = i; j < i + len; j++) {
        const a = x[j]!, b = x[j + len]!, c = x[j + 2 * len]!, d = x[j + 3 * len]!;
        const apb = fround(a + b), amb = fround(a - b), cpd = fround(c + d), cmd = fround(c - d);
        x[j] = fround(apb + cpd) * s;
        x[j + len] = fround(amb + cmd) * s;
        x[j + 2 * len] = fround(apb - cpd) * s;
        x[j + 3 * len] = fround(amb - cmd) * s;
      }
    }
    len *= 4;
  }
  if (len < block) {
    for (let i = start; i < end; i += 2 * len) {
      for (let j = i; j < i + len; j++) {
        const a = x[j]!, b = x[j + len]!;
        x[j] = fround(a + b) * scale;
        x[j + len] = fround(a - b) * scale;
      }
    }
  }
}

/** Bit planes of the `dim` byte codes at `codes` into `out` (the layout above). */
function packPlanes(bytes: Uint8Array, codes: number, dim: number, bits: number, out: number): void {
  const plane = dim >>> 3;
  for (let c = 0; c < plane; c++) {
    const base = codes + (c << 3);
    if (bits <= 4) {
      // Eight codes as nibbles, coordinate 8c at the top; bit p of every nibble gathered to one byte.
      const word =
        ((bytes[base]! << 28) | (bytes[base + 1]! << 24) | (bytes[base + 2]! << 20) | (bytes[base + 3]! << 16) |
          (bytes[base + 4]! << 12) | (bytes[base + 5]! << 8) | (bytes[base + 6]! << 4) | bytes[base + 7]!) >>> 0;
      for (let p = 0; p < bits; p++) {
        let x = (word >>> p) & 0x11111111;
        x = (x | (x >>> 3)) & 0x03030303;
        x = (x | (x >>> 6)) & 0x000f000f;
        bytes[out + p * plane + c] = (x | (x >>> 12)) & 0xff;
      }
    } else {
      for (let p = 0; p < bits; p++) {
        let byte = 0;
        for (let k = 0; k < 8; k++) byte |= ((bytes[base + k]! >>> p) & 1) << (7 - k);
        bytes[out + p * plane + c] = byte;
      }
    }
  }
}
