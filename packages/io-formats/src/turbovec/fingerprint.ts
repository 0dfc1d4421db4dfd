import { concatBytes } from '../bytes.js';
import { turbovecV7Chunks } from './codec.js';
import type { V7Revision } from './v7-layout.js';
import type { TurbovecParts } from './parts.js';

/**
 * turbovec 1.0's encode fingerprint (`turbovec/tests/common/fingerprint.rs` and the frozen
 * `GOLDEN` table of `tests/encode_fingerprint.rs`), so a TurboQuant codec can prove its output is
 * byte-identical to turbovec's. For each (dim, bits) cell turbovec builds
 * `lcgVectors(2000, dim, cellSeed(dim, bits))`, calls `calibrate(all rows)` then `add(all rows)`
 * on a fresh `TurboQuantIndex::new(dim, bits)`, and hashes six stages with FNV-1a 64:
 * boundaries, centroids, calibration (shift then scale), `packed_codes()`, `scales()` (f32 bit
 * patterns, little-endian) and `file` = the bytes of `to_bytes()`: the v7 snapshot of the same
 * parts (plain .tv, nonce 0, generation 0), see `turbovecFingerprint` for the revision byte.
 */

export const TURBOVEC_FINGERPRINT_ROWS = 2000;

export interface TurbovecFingerprint {
  readonly boundaries: bigint;
  readonly centroids: bigint;
  readonly calibration: bigint;
  readonly codes: bigint;
  readonly scales: bigint;
  readonly file: bigint;
}

/**
 * turbovec's frozen golden rows, (dim, bits) -> the six stage hashes, as frozen at commit
 * 53798462 (the explicit-calibration encoder of 1.0 and the v7 container of 1.0). At that commit
 * the container's revision byte was still 1; 1.0 writes revision 2 (byte 4, hence also the
 * superblock CRC), so compare `file` with `turbovecFingerprint(parts, 1)`. Every other column is
 * independent of the container.
 */
export const TURBOVEC_ENCODE_GOLDEN: readonly (readonly [number, number, TurbovecFingerprint])[] = [
  [200, 2, fp(0x4fb0378dc1d86d75n, 0xd43ff8712da19915n, 0x1974331dac161d9bn, 0x122b777da643eba6n, 0x467e7fc11cbd63c8n, 0x5e37e7ace4207e8cn)],
  [600, 3, fp(0xdbf9f4cb38e0530dn, 0xa0f02ffec44b5951n, 0x45a9253a5394ef8en, 0x2ade4149a0363781n, 0x1f1a60f658173d8dn, 0x9257eb23fcdee75dn)],
  [768, 4, fp(0x27273d875c560161n, 0x09704dad5b65a00dn, 0x675c5a5d5de10558n, 0x2b6e66a18e412461n, 0xe19782114e0d4434n, 0x6f0a123cb5bc7aecn)],
  [1000, 4, fp(0xdc246fa18e79015dn, 0xa632bd47c9e9628dn, 0xe2a3800eca61b130n, 0xe02d8df20dcb1dden, 0xd0700a74a602a059n, 0x236ae418fa516380n)],
  [1024, 3, fp(0xd9eeefae66c34fd1n, 0xfcf5342e5aefb105n, 0x570b4b3ef83a267dn, 0x06a3982646ab3fb9n, 0x647e88ac939e606en, 0x7eccf9971b3d73e2n)],
  [1536, 2, fp(0xb1a97993603c7dcdn, 0x1348c9ae60bbdc3dn, 0x5d9700e531f98c58n, 0x65d6c36402627280n, 0xd71c40bb564b1fcfn, 0x193106642572512an)],
  [1536, 4, fp(0x05f7a92f87aba9a1n, 0x84f2c25cecbf6761n, 0x90eec90ef20017f3n, 0xe06d3facabb1be0en, 0x9023d9253dbebb3an, 0x21f80ed1136ac201n)],
  [3072, 4, fp(0x9a1b3dca8251faadn, 0x6a56a1738e12e62dn, 0x8bb12d4a388dfa70n, 0x2dbc750011989ee3n, 0xc2155ee6e517ccedn, 0xb65998ca5581b827n)],
];

function fp(boundaries: bigint, centroids: bigint, calibration: bigint, codes: bigint, scales: bigint, file: bigint): TurbovecFingerprint {
  return { boundaries, centroids, calibration, codes, scales, file };
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a 64 of a byte string, as turbovec's `fnv1a`. */
export function fnv1a64(bytes: Uint8Array): bigint {
  // Split into 32-bit halves: a BigInt per byte would be far slower on multi-megabyte files.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < bytes.length; i++) {
    lo ^= bytes[i]!;
    // (hi:lo) * 0x100000001b3 mod 2^64 = (hi:lo) * 0x1b3 + (lo << 40)
    const lo16 = lo & 0xffff;
    const lo32hi = lo >>> 16;
    const a = lo16 * 0x1b3;
    const b = lo32hi * 0x1b3 + (a >>> 16);
    const newLo = ((b & 0xffff) << 16) | (a & 0xffff);
    const carry = Math.floor(b / 0x10000);
    hi = (Math.imul(hi, 0x1b3) + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = newLo >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Reference FNV-1a 64 in BigInt arithmetic, for checking the fast form. */
export function fnv1a64Reference(bytes: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  return h;
}

/** FNV-1a 64 of float32 bit patterns, little-endian (turbovec's `fnv1a_f32`). */
export function fnv1a64F32(values: Float32Array): bigint {
  const copy = new Float32Array(values);
  const bytes = new Uint8Array(copy.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    const view = new DataView(copy.buffer);
    const le = new Uint8Array(copy.length * 4);
    const out = new DataView(le.buffer);
    for (let i = 0; i < copy.length; i++) out.setUint32(i * 4, view.getUint32(i * 4), true);
    return fnv1a64(le);
  }
  return fnv1a64(bytes);
}

/** turbovec's per-cell input seed: 0x7B00000 ^ (dim << 8) ^ bits. */
export function turbovecCellSeed(dim: number, bits: number): bigint {
  return 0x7b00000n ^ (BigInt(dim) << 8n) ^ BigInt(bits);
}

/**
 * turbovec's fixture vectors: a 64-bit LCG (multiplier 6364136223846793005, increment
 * 1442695040888963407) from `seed | 1`, each value ((state >> 32) as u32) / 2^31 - 1 as f32.
 */
export function turbovecLcgVectors(count: number, dim: number, seed: bigint): Float32Array {
  const out = new Float32Array(count * dim);
  let state = seed | 1n;
  for (let i = 0; i < out.length; i++) {
    state = (state * 6364136223846793005n + 1442695040888963407n) & MASK64;
    out[i] = Number(state >> 32n) / 2147483648 - 1;
  }
  return out;
}

/**
 * The six-column fingerprint of an encoded index; `file` hashes the v7 snapshot of `parts` (what
 * `to_bytes()` returns) written with container `revision` (1 to compare with the goldens above).
 */
export function turbovecFingerprint(parts: TurbovecParts, revision: V7Revision = 1): TurbovecFingerprint {
  const codebook = parts.codebook;
  const calibration = new Float32Array(2 * (parts.calibration?.shift.length ?? 0));
  if (parts.calibration !== undefined) {
    calibration.set(parts.calibration.shift);
    calibration.set(parts.calibration.scale, parts.calibration.shift.length);
  }
  return {
    boundaries: fnv1a64F32(codebook?.boundaries ?? new Float32Array(0)),
    centroids: fnv1a64F32(codebook?.centroids ?? new Float32Array(0)),
    calibration: fnv1a64F32(calibration),
    codes: fnv1a64(parts.packedCodes),
    scales: fnv1a64F32(parts.scales),
    file: fnv1a64(concatBytes([...turbovecV7Chunks(parts, { idMap: false, revision })])),
  };
}
