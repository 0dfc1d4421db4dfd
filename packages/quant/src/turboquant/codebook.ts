import { SymmetricBeta } from './beta-distribution.js';

/**
 * The Lloyd-Max scalar quantizer for one rotated coordinate, as turbovec's `codebook.rs` computes
 * it: after the rotation a unit vector's coordinates follow Beta((d-1)/2, (d-1)/2) stretched to
 * [-1, 1], and the codebook minimizes the mean squared error against that law.
 *
 * - Start: `2^bits` centroids evenly spaced over ±3 standard deviations.
 * - Iterate (at most 200 times, stop when no centroid moves by 1e-12): boundaries are the f64
 *   midpoints; each new centroid is the conditional mean of its cell,
 *   `∫ x·pdf(x) dx / P(cell)` with the integral by adaptive Simpson (tolerance 1e-14, depth 50)
 *   and `P` from the cdf. A cell with probability below 1e-15 keeps its centroid.
 * - Output: f32 centroids, and boundaries that are the f32 midpoints of the f32 centroids
 *   (`(c[i] + c[i+1]) * 0.5` in f32), ascending. Code = number of boundaries strictly below x.
 */
export interface Codebook {
  readonly centroids: Float32Array;
  readonly boundaries: Float32Array;
}

const MAX_ITERATIONS = 200;
const TOLERANCE = 1e-12;
const memo = new Map<string, Codebook>();

/** The codebook for `(bits, dim)`, memoized (the solve costs tens to hundreds of milliseconds). */
export function lloydMaxCodebook(bits: number, dim: number): Codebook {
  const key = `${bits}:${dim}`;
  let codebook = memo.get(key);
  if (codebook === undefined) {
    codebook = solveLloydMax(bits, dim);
    memo.set(key, codebook);
  }
  return codebook;
}

function solveLloydMax(bits: number, dim: number): Codebook {
  const a = (dim - 1) / 2;
  const beta = new SymmetricBeta(a);
  const levels = 2 ** bits;
  const stdDev = Math.sqrt((2 * a) / ((2 * a + 1) * 4 * a));
  const spread = 3 * stdDev;
  let centroids = Array.from({ length: levels }, (_, i) => -spread + (2 * spread * i) / (levels - 1));
  const pdfOnSymmetricRange = (x: number): number => (x * beta.pdf((x + 1) / 2)) / 2;
  const edges = new Float64Array(levels + 1);

  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    edges[0] = -1;
    for (let i = 0; i < levels - 1; i++) edges[i + 1] = (centroids[i]! + centroids[i + 1]!) / 2;
    edges[levels] = 1;
    const next = new Array<number>(levels);
    for (let i = 0; i < levels; i++) {
      const lo = edges[i]!;
      const hi = edges[i + 1]!;
      const prob = beta.cdf((hi + 1) / 2) - beta.cdf((lo + 1) / 2);
      next[i] = prob < 1e-15 ? centroids[i]! : adaptiveSimpson(pdfOnSymmetricRange, lo, hi, 1e-14, 50) / prob;
    }
    let maxChange = 0;
    for (let i = 0; i < levels; i++) maxChange = Math.max(maxChange, Math.abs(centroids[i]! - next[i]!));
    centroids = next;
    if (maxChange < TOLERANCE) break;
  }

  const centroidsF32 = Float32Array.from(centroids);
  const boundaries = new Float32Array(levels - 1);
  for (let i = 0; i < levels - 1; i++) boundaries[i] = Math.fround(centroidsF32[i]! + centroidsF32[i + 1]!) * 0.5;
  return { centroids: centroidsF32, boundaries };
}

function adaptiveSimpson(f: (x: number) => number, a: number, b: number, tol: number, maxDepth: number): number {
  const mid = (a + b) / 2;
  const fa = f(a);
  const fb = f(b);
  const fm = f(mid);
  const whole = ((b - a) / 6) * (fa + 4 * fm + fb);
  return simpsonStep(f, a, b, fa, fb, fm, whole, tol, maxDepth);
}

function simpsonStep(
  f: (x: number) => number,
  a: number,
  b: number,
  fa: number,
  fb: number,
  fm: number,
  whole: number,
  tol: number,
  depth: number,
): number {
  const mid = (a + b) / 2;
  const m1 = (a + mid) / 2;
  const m2 = (mid + b) / 2;
  const fm1 = f(m1);
  const fm2 = f(m2);
  const left = ((mid - a) / 6) * (fa + 4 * fm1 + fm);
  const right = ((b - mid) / 6) * (fm + 4 * fm2 + fb);
  const refined = left + right;
  if (depth === 0 || Math.abs(refined - whole) < 15 * tol) return refined + (refined - whole) / 15;
  return (
    simpsonStep(f, a, mid, fa, fm, fm1, left, tol / 2, depth - 1) + simpsonStep(f, mid, b, fm, fb, fm2, right, tol / 2, depth - 1)
  );
}
