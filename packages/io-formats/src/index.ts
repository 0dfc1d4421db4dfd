export type { NpyDtype, NumericArray } from './element-types.js';
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
