import { InvalidArgumentError } from '@quiver/core-math';
import { SymmetricBeta } from './beta-distribution.js';

/**
 * TQ+ calibration: a per-coordinate `(shift, scale)` applied to the rotated unit vector before
 * quantization, `calibrated[d] = (rotated[d] + shift[d]) * scale[d]` (two f32 operations), so that
 * each coordinate's empirical spread matches the Beta marginal the codebook was fitted to.
 * `undefined` means identity (turbovec's uncalibrated index: empty shift/scale arrays).
 */
export interface TurboQuantCalibration {
  readonly shift: Float32Array;
  readonly scale: Float32Array;
}

/** Fewest rows a fit can use: it needs distinct low and high order statistics per coordinate. */
export const TQPLUS_MIN_CALIBRATION_ROWS = 2;
/**
 * The sample size turbovec recommends (its `RECOMMENDED_CALIBRATION_ROWS`, formerly the automatic
 * fit threshold `TQPLUS_MIN_SAMPLES`): a random ~1000-row draw fits about as well as the corpus.
 */
export const TQPLUS_RECOMMENDED_CALIBRATION_ROWS = 1000;

/** Largest magnitude a coordinate (input, shift) may have; turbovec's `|value| < 1e16` cap. */
export const MAX_COORDINATE_MAGNITUDE = 1e16;

/**
 * turbovec 1.0's fit (`compute_tqplus_calibration` with the #454 anchor), from `n` rows already
 * rotated exactly as encoding rotates them (unit-normalized, `rotated` is `n × dim`):
 *
 * - `c = max |centroid|` (f32); `pHi = BetaCdf((c + 1) / 2)`, `pLo = 1 - pHi` (f64); the canonical
 *   targets are `-c` and `c`, span `2c` (f32).
 * - `lo = floor(n · pLo)`, `hi = max(min(floor(n · pHi), n - 1), lo + 1)`: ranks in each sorted column.
 * - Per coordinate with empirical quantiles `qLo`, `qHi` and `span = qHi - qLo` (f32): when
 *   `span > 1e-6`, `scale = 2c / span` and `shift = -c / scale - qLo` (f32 ops); otherwise identity.
 */
export function fitCalibrationFromRotated(
  rotated: Float32Array,
  n: number,
  dim: number,
  centroids: Float32Array,
): TurboQuantCalibration {
  const shift = new Float32Array(dim);
  const scale = new Float32Array(dim).fill(1);
  let outer = 0;
  for (const c of centroids) outer = Math.max(outer, Math.abs(c));
  const beta = new SymmetricBeta((dim - 1) / 2);
  const pHi = beta.cdf((outer + 1) / 2);
  const pLo = 1 - pHi;
  const targetLow = -outer;
  const targetSpan = Math.fround(outer - targetLow);
  const lo = Math.floor(n * pLo);
  const hi = Math.max(Math.min(Math.floor(n * pHi), n - 1), lo + 1);
  const minSpan = Math.fround(1e-6);
  const column = new Float32Array(n);
  for (let d = 0; d < dim; d++) {
    for (let i = 0; i < n; i++) column[i] = rotated[i * dim + d]!;
    // The two order statistics of the sorted column, without sorting it: after selecting rank hi,
    // everything before it is no larger, so rank lo lies in [0, hi).
    selectRank(column, hi, 0, n - 1);
    selectRank(column, lo, 0, hi - 1);
    const qLo = column[lo]!;
    const span = Math.fround(column[hi]! - qLo);
    if (span > minSpan) {
      const s = Math.fround(targetSpan / span);
      scale[d] = s;
      shift[d] = Math.fround(targetLow / s) - qLo;
    }
  }
  return { shift, scale };
}

/**
 * Quickselect (Hoare partition, median-of-three pivot): moves the k-th smallest value of
 * `a[left ..= right]` to index k, with no larger value before it and no smaller one after it. The
 * value equals `sorted[k]` (up to the sign of a zero, which the fit's arithmetic does not see).
 */
export function selectRank(a: Float32Array, k: number, left: number, right: number): void {
  while (right > left) {
    const mid = (left + right) >> 1;
    if (a[mid]! < a[left]!) swap(a, mid, left);
    if (a[right]! < a[left]!) swap(a, right, left);
    if (a[right]! < a[mid]!) swap(a, right, mid);
    const pivot = a[mid]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Validates an imported calibration for a `dim`-wide codec and returns private copies. Shifts must
 * be finite and below 1e16 in magnitude; scales finite, positive, with a finite f32 reciprocal.
 */
export function checkCalibration(calibration: TurboQuantCalibration, dim: number): TurboQuantCalibration {
  const { shift, scale } = calibration ?? ({} as TurboQuantCalibration);
  if (!(shift instanceof Float32Array) || !(scale instanceof Float32Array)) {
    throw new InvalidArgumentError('calibration', 'shift and scale must be Float32Arrays');
  }
  if (shift.length !== dim || scale.length !== dim) {
    throw new InvalidArgumentError(
      'calibration',
      `shift and scale must each hold ${dim} values (the padded dimension), got ${shift.length} and ${scale.length}`,
    );
  }
  for (let d = 0; d < dim; d++) {
    if (!(Math.abs(shift[d]!) < MAX_COORDINATE_MAGNITUDE)) {
      throw new InvalidArgumentError('calibration', `shift[${d}] = ${shift[d]} is not a usable finite value`);
    }
    const s = scale[d]!;
    if (!(s > 0) || !Number.isFinite(s) || !Number.isFinite(Math.fround(1 / s))) {
      throw new InvalidArgumentError('calibration', `scale[${d}] = ${s} must be finite and positive with a finite reciprocal`);
    }
  }
  return { shift: shift.slice(), scale: scale.slice() };
}
