import { CorruptFileError } from '@quiver/core-math';

/**
 * Structural check of an embedded Lloyd-Max codebook: finite, centroids strictly increasing, each
 * boundary between its two centroids. The exact values are a pure function of (bitWidth, dim)
 * that the quantizer solves; it compares them, this package cannot.
 */
export function checkCodebookShape(boundaries: Float32Array, centroids: Float32Array, context: string): void {
  for (let i = 0; i < centroids.length; i++) {
    const c = centroids[i]!;
    const ok = Number.isFinite(c) && (i === 0 || c > centroids[i - 1]!);
    if (!ok) throw new CorruptFileError('header', `${context}: embedded codebook centroids are not finite and increasing`);
  }
  for (let i = 0; i < boundaries.length; i++) {
    const b = boundaries[i]!;
    if (!(b >= centroids[i]! && b <= centroids[i + 1]!)) {
      throw new CorruptFileError('header', `${context}: embedded codebook boundary ${i} is not between its centroids`);
    }
  }
}
