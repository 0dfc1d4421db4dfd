import type { TurbovecParts } from '../../src/turbovec/parts.js';

/** Deterministic xorshift bytes for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** A valid-looking codebook: increasing centroids, f32 midpoints as boundaries (turbovec 1.0's rule). */
export function fakeCodebook(bitWidth: number): { boundaries: Float32Array; centroids: Float32Array } {
  const levels = 1 << bitWidth;
  const centroids = new Float32Array(levels);
  for (let i = 0; i < levels; i++) centroids[i] = (i - (levels - 1) / 2) * 0.03125 + 0.001 * i * i;
  const boundaries = new Float32Array(levels - 1);
  for (let i = 0; i < levels - 1; i++) boundaries[i] = Math.fround(centroids[i]! + centroids[i + 1]!) * 0.5;
  return { boundaries, centroids };
}

export interface PartsSpec {
  dim: number;
  bitWidth: number;
  count: number;
  calibrated?: boolean;
  idMapped?: boolean;
  seed?: number;
}

export function makeParts(spec: PartsSpec): TurbovecParts {
  const { dim, bitWidth, count } = spec;
  const next = rng(spec.seed ?? 7);
  const packedCodes = new Uint8Array((count * dim * bitWidth) / 8);
  for (let i = 0; i < packedCodes.length; i++) packedCodes[i] = next() & 0xff;
  const scales = new Float32Array(count);
  for (let i = 0; i < count; i++) scales[i] = 0.5 + (next() % 1000) / 997;
  let calibration: TurbovecParts['calibration'];
  if (spec.calibrated) {
    const shift = new Float32Array(dim);
    const scale = new Float32Array(dim);
    for (let i = 0; i < dim; i++) {
      shift[i] = ((next() % 200) - 100) / 1000;
      scale[i] = 0.8 + (next() % 400) / 1000;
    }
    calibration = { shift, scale };
  }
  let ids: BigUint64Array | undefined;
  if (spec.idMapped) {
    ids = new BigUint64Array(count);
    for (let i = 0; i < count; i++) ids[i] = (BigInt(next()) << 32n) | BigInt(i);
  }
  return { dim, bitWidth, count, packedCodes, scales, calibration, codebook: dim > 0 ? fakeCodebook(bitWidth) : undefined, ids };
}

/** turbovec's swap_remove on parts: the last row moves into `slot`. */
export function swapRemove(parts: TurbovecParts, slot: number): TurbovecParts {
  const row = (parts.dim * parts.bitWidth) / 8;
  const last = parts.count - 1;
  const packedCodes = parts.packedCodes.slice(0, last * row);
  const scales = parts.scales.slice(0, last);
  const ids = parts.ids?.slice(0, last);
  if (slot !== last) {
    packedCodes.set(parts.packedCodes.subarray(last * row, (last + 1) * row), slot * row);
    scales[slot] = parts.scales[last]!;
    if (ids) ids[slot] = parts.ids![last]!;
  }
  return { ...parts, count: last, packedCodes, scales, ids, origin: undefined };
}

/** Appends `extra` fresh rows. */
export function append(parts: TurbovecParts, extra: number, seed: number): TurbovecParts {
  const more = makeParts({ dim: parts.dim, bitWidth: parts.bitWidth, count: extra, idMapped: parts.ids !== undefined, seed });
  const packedCodes = new Uint8Array(parts.packedCodes.length + more.packedCodes.length);
  packedCodes.set(parts.packedCodes);
  packedCodes.set(more.packedCodes, parts.packedCodes.length);
  const scales = new Float32Array(parts.count + extra);
  scales.set(parts.scales);
  scales.set(more.scales, parts.count);
  let ids: BigUint64Array | undefined;
  if (parts.ids) {
    ids = new BigUint64Array(parts.count + extra);
    ids.set(parts.ids);
    for (let i = 0; i < extra; i++) ids[parts.count + i] = 1_000_000_000n + BigInt(seed) * 100_000n + BigInt(i);
  }
  return { ...parts, count: parts.count + extra, packedCodes, scales, ids, origin: undefined };
}

/** The index content of parts, for equality checks (origin and codebook copies aside). */
export function content(parts: TurbovecParts): unknown {
  return {
    dim: parts.dim,
    bitWidth: parts.bitWidth,
    count: parts.count,
    packedCodes: Buffer.from(parts.packedCodes).toString('hex'),
    scales: Buffer.from(parts.scales.buffer, parts.scales.byteOffset, parts.scales.byteLength).toString('hex'),
    shift: parts.calibration ? Array.from(parts.calibration.shift) : null,
    scale: parts.calibration ? Array.from(parts.calibration.scale) : null,
    ids: parts.ids ? Array.from(parts.ids, String) : null,
  };
}

/** Bit-by-bit sequential row from packed codes, written from turbovec's pack.rs (test reference). */
export function referenceSeqRow(packed: Uint8Array, row: number, dim: number, bits: number): number[] {
  const plane = dim / 8;
  const codeAt = (j: number): number => {
    let code = 0;
    for (let p = 0; p < bits; p++) if (packed[row * bits * plane + p * plane + Math.floor(j / 8)]! & (1 << (7 - (j % 8)))) code |= 1 << p;
    return code;
  };
  const cpb = Math.floor(8 / bits);
  const out: number[] = [];
  for (let g = 0; g < dim / cpb; g++) {
    let v = 0;
    for (let c = 0; c < cpb; c++) v |= codeAt(g * cpb + c) << (bits === 3 ? (cpb - 1 - c) * 4 : (cpb - 1 - c) * bits);
    out.push(v);
  }
  return out;
}
