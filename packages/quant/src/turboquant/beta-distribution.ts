/**
 * The symmetric Beta(a, a) distribution on [0, 1] with the numerics of the Rust crate `statrs`
 * 0.17.1, which turbovec pins exactly because its codebook and calibration are computed from it:
 *
 * - `ln_gamma` / `gamma`: the Lanczos approximation (Pugh 2004, r = 10.900511, 11 coefficients).
 * - `pdf(x)`: `exp(ln_pdf(x))` when a shape exceeds 80, else
 *   `Γ(a+b) / (Γ(a)Γ(b)) · x^(a-1) · (1-x)^(b-1)`.
 * - `cdf(x)`: the regularized incomplete beta by the Numerical Recipes continued fraction
 *   (`betacf`, modified Lentz), at most 140 iterations, falling through with the current value
 *   when it has not converged, using the symmetry `I_x(a,b) = 1 - I_{1-x}(b,a)` when
 *   `x >= (a+1)/(a+b+2)`.
 *
 * The f64 results can differ from Rust's in the last ulp (JavaScript's `Math.log`/`Math.exp` are
 * not glibc's); turbovec's codebook is stored as f32, which absorbs that (its own cross-libm
 * argument), and the golden tests check the f32 outputs.
 */

const GAMMA_R = 10.900511;
const GAMMA_DK = [
  2.48574089138753565546e-5, 1.0514237858172197421, -3.45687097222016235469, 4.512277094668948237,
  -2.98285225323576655721, 1.05639711577126713077, -1.95428773191645869583e-1, 1.70970543404441224307e-2,
  -5.71926117404305781283e-4, 4.63399473359905636708e-6, -2.7199490848860770391e-9,
];
const LN_PI = 1.1447298858494001741434273513530587116472948129153;
const LN_2_SQRT_E_OVER_PI = 0.6207822376352452223455184457816472122518527279025978;
const TWO_SQRT_E_OVER_PI = 1.8603827342052657173362492472666631120594218414085755;
/** `prec::F64_PREC` (2^-53). */
const F64_PREC = 1.1102230246251565e-16;
const FPMIN = 2.2250738585072014e-308 / F64_PREC;

function lanczosSum(x: number): number {
  let s = GAMMA_DK[0]!;
  for (let i = 1; i < GAMMA_DK.length; i++) s += GAMMA_DK[i]! / (x + i - 1);
  return s;
}

export function lnGamma(x: number): number {
  if (x < 0.5) {
    let s = GAMMA_DK[0]!;
    for (let i = 1; i < GAMMA_DK.length; i++) s += GAMMA_DK[i]! / (i - x);
    return (
      LN_PI - Math.log(Math.sin(Math.PI * x)) - Math.log(s) - LN_2_SQRT_E_OVER_PI - (0.5 - x) * Math.log((0.5 - x + GAMMA_R) / Math.E)
    );
  }
  return Math.log(lanczosSum(x)) + LN_2_SQRT_E_OVER_PI + (x - 0.5) * Math.log((x - 0.5 + GAMMA_R) / Math.E);
}

export function gamma(x: number): number {
  if (x < 0.5) {
    let s = GAMMA_DK[0]!;
    for (let i = 1; i < GAMMA_DK.length; i++) s += GAMMA_DK[i]! / (i - x);
    return Math.PI / (Math.sin(Math.PI * x) * s * TWO_SQRT_E_OVER_PI * Math.pow((0.5 - x + GAMMA_R) / Math.E, 0.5 - x));
  }
  return lanczosSum(x) * TWO_SQRT_E_OVER_PI * Math.pow((x - 0.5 + GAMMA_R) / Math.E, x - 0.5);
}

/** Regularized lower incomplete beta `I_x(a, b)` as statrs 0.17.1 computes it. */
export function betaRegularized(a: number, b: number, x: number): number {
  const bt =
    x === 0 || x === 1 ? 0 : Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  const symmetric = x >= (a + 1) / (a + b + 2);
  if (symmetric) {
    const swap = a;
    x = 1 - x;
    a = b;
    b = swap;
  }
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 140; m++) {
    const m2 = m * 2;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h = h * d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) <= F64_PREC) break;
  }
  return symmetric ? 1 - (bt * h) / a : (bt * h) / a;
}

/** Beta(shape, shape) on [0, 1]: the marginal of one coordinate of a uniform unit vector, shifted. */
export class SymmetricBeta {
  readonly shape: number;
  /** `ln Γ(2a) − 2 ln Γ(a)`, the log normalizer; statrs recomputes the same value on every call. */
  private readonly logNormalizer: number;
  private readonly normalizer: number;

  constructor(shape: number) {
    this.shape = shape;
    this.logNormalizer = lnGamma(shape + shape) - lnGamma(shape) - lnGamma(shape);
    this.normalizer = gamma(shape + shape) / (gamma(shape) * gamma(shape));
  }

  pdf(x: number): number {
    if (!(x >= 0 && x <= 1)) return 0;
    const a = this.shape;
    if (a > 80) {
      const lnX = x === 0 ? -Infinity : (a - 1) * Math.log(x);
      const ln1mX = x === 1 ? -Infinity : (a - 1) * Math.log1p(-x);
      return Math.exp(this.logNormalizer + lnX + ln1mX);
    }
    return this.normalizer * Math.pow(x, a - 1) * Math.pow(1 - x, a - 1);
  }

  cdf(x: number): number {
    if (x < 0) return 0;
    if (x >= 1) return 1;
    return betaRegularized(this.shape, this.shape, x);
  }
}
