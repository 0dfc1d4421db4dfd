import { LUT_MAX_ENTRY, LUT_PARAM_HEAD, LUT_STAGE_GROUPS, LUT_STAGE_PARAMS, lutParamStride, lutStageCount } from '@quiver/core-math';

/**
 * How TurboQuant codes map onto the table positions of core-math's lookup-table scan: 4- and 3-bit
 * codes take one position per coordinate (3-bit codes use 8 of the 16 entries and are stored in the
 * 3-bit layout, not in nibbles), 2-bit codes one position per pair of coordinates (nibble = 4 · c0 +
 * c1, as in turbovec's byte layout), 1-bit codes one per four coordinates (nibble = 8 · c0 + 4 · c1 +
 * 2 · c2 + c3).
 */
export class NibbleLayout {
  readonly bitWidth: number;
  readonly paddedDim: number;
  readonly coordsPerPosition: number;
  readonly positions: number;
  /** Table entries a nibble can take: 2^bits for 3-bit codes, else 16. */
  readonly validEntries: number;

  constructor(bitWidth: number, paddedDim: number) {
    this.bitWidth = bitWidth;
    this.paddedDim = paddedDim;
    this.coordsPerPosition = bitWidth === 3 ? 1 : 4 / bitWidth;
    this.positions = paddedDim / this.coordsPerPosition;
    this.validEntries = bitWidth === 3 ? 8 : 16;
  }

  /** Per-coordinate codes (paddedDim) to nibbles (positions). */
  toNibbles(codes: Uint8Array, out: Uint8Array): Uint8Array {
    const { coordsPerPosition: per, bitWidth: bits } = this;
    if (per === 1) {
      out.set(codes.subarray(0, this.positions));
      return out;
    }
    for (let p = 0, d = 0; p < this.positions; p++) {
      let nibble = 0;
      for (let t = 0; t < per; t++) nibble = (nibble << bits) | codes[d++]!;
      out[p] = nibble;
    }
    return out;
  }

  /** Nibbles (positions) back to per-coordinate codes (paddedDim). */
  toCodes(nibbles: Uint8Array, out: Uint8Array): Uint8Array {
    const { coordsPerPosition: per, bitWidth: bits } = this;
    const mask = (1 << bits) - 1;
    for (let p = 0, d = 0; p < this.positions; p++) {
      const nibble = nibbles[p]!;
      for (let t = per - 1; t >= 0; t--) out[d++] = (nibble >> (t * bits)) & mask;
    }
    return out;
  }
}

/** What a query's tables are built from: TurboQuant's prepared query and the index's codebook. */
export interface QueryTableInput {
  /** The calibrated rotated query `qc` (paddedDim values). */
  readonly query: Float32Array;
  /** Per-coordinate additive terms of the estimator (the calibration's `-qr[d] · shift[d]`), or undefined. */
  readonly biasTerms?: Float64Array | undefined;
  /** Multiplies every table value (2 for l2, whose score carries 2 ⟨q, x⟩). */
  readonly factor: number;
  /** Early-exit margin in standard deviations of a partial sum; undefined or ≤ 0 disables it. */
  readonly earlyExit?: number | undefined;
}

/** One query's tables: the u8 scan table, its parameters and the float table of the exact correction. */
export interface QueryTableOutput {
  readonly u8: Uint8Array;
  readonly params: Float32Array;
  readonly f32: Float32Array;
}

/**
 * Builds the lookup tables of one query (see `LutKernels` in core-math for their meaning):
 * position p, entry e holds factor · Σ_t (qc[d_t] · centroid[code_t(e)] + bias_{d_t}) over the
 * coordinates d_t the position covers. The float table keeps those values; the u8 table stores
 * round((value − min_p) / mul) with one `mul = max_p span_p / 127` for all positions (the FAISS
 * fast-scan quantization), the minima summed into the stage offsets.
 */
export function buildQueryTables(layout: NibbleLayout, centroids: Float32Array, input: QueryTableInput, out: QueryTableOutput): void {
  const minima = new Float64Array(layout.positions);
  const maxSpan = fillFloatTable(layout, centroids, input, out.f32, minima);
  const mul = Math.fround(maxSpan / LUT_MAX_ENTRY);
  quantizeTable(layout, out.f32, minima, mul, out.u8);
  writeParams(layout, input.query, mul, minima, input, out.params);
}

// The steps are separate functions so that each hot loop is optimized on its own (one long body
// kept deoptimizing on paths its first calls had not reached).

/** Writes the float table and each position's minimum; returns the largest span of a position. */
function fillFloatTable(layout: NibbleLayout, centroids: Float32Array, input: QueryTableInput, table: Float32Array, minima: Float64Array): number {
  if (layout.coordsPerPosition === 1 && input.biasTerms === undefined) return fillOneCoordinateTable(layout, centroids, input, table, minima);
  const { positions, coordsPerPosition: per, bitWidth: bits, validEntries } = layout;
  const { query, biasTerms, factor } = input;
  const mask = (1 << bits) - 1;
  let maxSpan = 0;
  for (let p = 0; p < positions; p++) {
    const d0 = p * per;
    const bias = biasTerms === undefined ? 0 : positionBias(biasTerms, d0, per);
    let lo = Infinity;
    let hi = -Infinity;
    for (let e = 0; e < validEntries; e++) {
      let value = bias;
      for (let t = 0; t < per; t++) value += query[d0 + t]! * centroids[(e >> ((per - 1 - t) * bits)) & mask]!;
      const v = Math.fround(factor * value);
      table[p * 16 + e] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    for (let e = validEntries; e < 16; e++) table[p * 16 + e] = 0;
    minima[p] = lo;
    if (hi - lo > maxSpan) maxSpan = hi - lo;
  }
  return maxSpan;
}

/** The common case (3-4 bits, uncalibrated): entry e of position d is f32(factor · q[d] · centroid[e]). */
function fillOneCoordinateTable(layout: NibbleLayout, centroids: Float32Array, input: QueryTableInput, table: Float32Array, minima: Float64Array): number {
  const { positions, validEntries } = layout;
  const { query, factor } = input;
  const fround = Math.fround;
  let maxSpan = 0;
  for (let p = 0; p < positions; p++) {
    const w = factor * query[p]!;
    const base = p * 16;
    let lo = Infinity;
    let hi = -Infinity;
    for (let e = 0; e < validEntries; e++) {
      const v = fround(w * centroids[e]!);
      table[base + e] = v;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    minima[p] = lo;
    maxSpan = hi - lo > maxSpan ? hi - lo : maxSpan;
  }
  return maxSpan;
}

function positionBias(biasTerms: Float64Array, d0: number, per: number): number {
  let bias = 0;
  for (let t = 0; t < per; t++) bias += biasTerms[d0 + t]!;
  return bias;
}

/** u8 entries round((value − min_p) / mul), clamped to [0, 127]; unused entries 0. */
function quantizeTable(layout: NibbleLayout, table: Float32Array, minima: Float64Array, mul: number, u8: Uint8Array): void {
  const { positions, validEntries } = layout;
  // A local: an imported binding read in the hot loop is slow where modules are transformed (vitest).
  const maxEntry = LUT_MAX_ENTRY;
  u8.fill(0, 0, positions * 16);
  if (mul === 0) return;
  const inverse = 1 / mul;
  for (let p = 0; p < positions; p++) {
    const lo = minima[p]!;
    for (let e = 0; e < validEntries; e++) {
      // Non-negative, so round-half-up is a truncation of x + 0.5.
      const q = ((table[p * 16 + e]! - lo) * inverse + 0.5) | 0;
      u8[p * 16 + e] = q > maxEntry ? maxEntry : q;
    }
  }
}

/** The head and per-stage parameters: zero-point offsets, the query mass each stage carries, margins. */
function writeParams(layout: NibbleLayout, query: Float32Array, mul: number, minima: Float64Array, input: QueryTableInput, params: Float32Array): void {
  const { positions, coordsPerPosition: per, paddedDim } = layout;
  const stages = lutStageCount(positions);
  params.fill(0, 0, lutParamStride(positions));
  params[0] = mul;
  const z = input.earlyExit ?? 0;
  params[1] = z > 0 ? 0 : -1;
  let mass = 0;
  for (let d = 0; d < paddedDim; d++) mass += query[d]! * query[d]!;
  // Standard deviation of a partial sum carrying a share f of the query's mass, per unit scale:
  // sqrt(f (1 - f)) · |factor| · ‖qc‖ / sqrt(d) for a rotated (isotropic) unit vector.
  const sigma = (z * Math.abs(input.factor) * Math.sqrt(mass)) / Math.sqrt(paddedDim);
  let offset = 0;
  let seen = 0;
  let p = 0;
  for (let s = 0; s < stages; s++) {
    const end = Math.min(positions, (s + 1) * LUT_STAGE_GROUPS * 2);
    for (; p < end; p++) {
      offset += minima[p]!;
      for (let t = 0; t < per; t++) seen += query[p * per + t]! ** 2;
    }
    const frac = mass > 0 ? seen / mass : (s + 1) / stages;
    const at = LUT_PARAM_HEAD + LUT_STAGE_PARAMS * s;
    params[at] = offset;
    params[at + 1] = frac;
    params[at + 2] = sigma * Math.sqrt(Math.max(0, frac * (1 - frac)));
  }
}
