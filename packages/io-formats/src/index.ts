export type { NpyDtype, NumericArray } from './element-types.js';
export { concatBytes } from './bytes.js';
export { parseNpy, parseNpyHeader, npyHeaderEnd, encodeNpy, encodeNpyChunks } from './npy.js';
export type {
  NpyArray,
  TypedNpyArray,
  NpyArrayInput,
  NpyDataTypes,
  NpyHeader,
  NpyReadOptions,
  NpyWriteOptions,
} from './npy.js';
export { toCOrder, toFortranOrder, npyToFloat32Matrix } from './npy-layout.js';
export type { Float32Matrix } from './npy-layout.js';
export { parseNpz, encodeNpz, encodeNpzChunks } from './npz.js';
export type { NpzEntries, NpzReadOptions, NpzWriteOptions } from './npz.js';
export { parseZip, encodeZip, encodeZipChunks } from './zip.js';
export type { ZipEntry, ZipReadOptions, ZipWriteEntry, ZipWriteOptions, InflateFunction, DeflateFunction } from './zip.js';
export { deflateRaw } from './deflate.js';
export type { DeflateOptions } from './deflate.js';
export { inflateRaw } from './inflate.js';
export { parseSafetensors, encodeSafetensors, encodeSafetensorsChunks } from './safetensors.js';
export type {
  SafetensorsDtype,
  SafetensorsDataTypes,
  SafetensorsTensor,
  TypedSafetensorsTensor,
  SafetensorsTensorInput,
  SafetensorsEntries,
  SafetensorsFile,
  SafetensorsReadOptions,
} from './safetensors.js';
export {
  parseFvecs,
  parseIvecs,
  parseBvecs,
  encodeFvecs,
  encodeIvecs,
  encodeBvecs,
  encodeVecs,
} from './vecs.js';
export type { VecsKind, VecsMatrix, VecsDataTypes } from './vecs.js';
export {
  encodeTurbovecV7,
  turbovecV7Chunks,
  decodeTurbovec,
  detectTurbovec,
} from './turbovec/codec.js';
export type { TurbovecV7Options, TurbovecDetection } from './turbovec/codec.js';
export { encodeTurbovecSimple } from './turbovec/simple.js';
export { planTurbovecSync } from './turbovec/sync-plan.js';
export type { TurbovecSyncPlan, TurbovecSyncPlanOptions, TurbovecWrite, TurbovecFullWriteReason } from './turbovec/sync-plan.js';
export { TurbovecCodeLayout } from './turbovec/code-layout.js';
export { turbovecCrc } from './turbovec/checksum.js';
export { TURBOVEC_MAX_DIM, TURBOVEC_BLOCK } from './turbovec/parts.js';
export type { TurbovecParts, TurbovecOrigin, TurbovecFormat } from './turbovec/parts.js';
export {
  TURBOVEC_ENCODE_GOLDEN,
  TURBOVEC_FINGERPRINT_ROWS,
  turbovecFingerprint,
  turbovecCellSeed,
  turbovecLcgVectors,
  fnv1a64,
  fnv1a64F32,
} from './turbovec/fingerprint.js';
export type { TurbovecFingerprint } from './turbovec/fingerprint.js';
