import { CorruptFileError, InvalidArgumentError, UnsupportedOperationError, type KernelChoice } from '@quiver/core-math';
import {
  encodeNpy,
  encodeSafetensors,
  npyToFloat32Matrix,
  parseNpy,
  toCOrder,
  parseSafetensors,
  type NpyArray,
  type SafetensorsTensor,
  type SafetensorsTensorInput,
} from '@quiver/io-formats';
import { FloatAnnBackend, ScalarAnnBackend, SignBitAnnBackend, type AnnBackend } from './numpy-ann-backends.js';
import { MAX_RERANK, NumpyAnnIndex } from './numpy-ann-index.js';
import { ScalarCodebook, signBitBytes } from './scalar-codes.js';

/**
 * Files of `NumpyAnnIndex`, compatible with txtai's NumPy backend where the layouts agree:
 *
 * - `.npy`: the single 2-D array txtai saves, float32 rows (or uint8 packed sign bits for
 *   `quantize: 1`), deleted rows zeroed. On load an all-zero row counts as deleted, as in txtai.
 *   2..8-bit codes need their per-dimension grid and so only go to safetensors.
 * - safetensors: tensor `data` (the same array; int8 centred codes for 2..8 bits), `deleted`
 *   (uint8 flag per row, which removes the all-zero ambiguity), `offset` and `step` (float32 grid
 *   for 2..8 bits), and string metadata `format`, `version`, `quantize`, `dim`, `normalize`.
 *   A file without that metadata (one txtai wrote) is read like the `.npy` case.
 * - Version 2 adds Quiver's extensions (written only when one is on, so other files stay version 1):
 *   metadata `center` and `rerank`, tensor `mean` (float32 (dim), centred 1-bit codes) and tensor
 *   `rows` (float32 (n, dim), the rows rerank rescores with, deleted rows zeroed). txtai's `.npy`
 *   layout cannot hold them and refuses to.
 */

export const NUMPY_ANN_FORMAT = 'quiver.numpy-ann';
/** Version written for files that use `center` or `rerank`; plain files are still written as 1. */
export const NUMPY_ANN_FORMAT_VERSION = 2;

export interface NumpyAnnLoadOptions {
  /** Bits of the stored codes when the file does not say (a txtai file); omitted = float rows. */
  readonly quantize?: number | false;
  /** Vector width of 1-bit codes when the file does not say (default: 8 × bytes per row). */
  readonly dim?: number;
  /** Whether later rows and queries get normalized, when the file does not say (default true). */
  readonly normalize?: boolean;
  /** Not in txtai's layouts: `.npy` import refuses it (UnsupportedOperationError), use safetensors. */
  readonly center?: boolean;
  /** Not in txtai's layouts: `.npy` import refuses it (UnsupportedOperationError), use safetensors. */
  readonly rerank?: number;
  readonly kernels?: KernelChoice;
}

interface Layout {
  readonly quantize: number | undefined;
  readonly dim: number;
  readonly normalize: boolean;
  readonly center?: boolean;
  readonly rerank?: number;
}

/** txtai's `.npy` file: float32 rows, or uint8 packed sign bits under `quantize: 1`. */
export function numpyAnnIndexToNpy(index: NumpyAnnIndex): Uint8Array {
  const { backend, dim } = requireContent(index);
  refuseExtensionsInNpy(index.center, index.rerank, 'export');
  if (backend instanceof FloatAnnBackend) return encodeNpy({ dtype: 'float32', shape: [backend.slotCount, dim], data: backend.exportRows() });
  if (backend instanceof SignBitAnnBackend) {
    return encodeNpy({ dtype: 'uint8', shape: [backend.slotCount, backend.codes.rowBytes], data: backend.exportCodes() });
  }
  throw new UnsupportedOperationError('NumpyAnnIndex', '.npy export of 2..8-bit codes', 'their per-dimension grid needs safetensors');
}

export function numpyAnnIndexToSafetensors(index: NumpyAnnIndex): Uint8Array {
  const { backend, dim } = requireContent(index);
  const n = backend.slotCount;
  const tensors: Record<string, SafetensorsTensorInput> = {};
  if (backend instanceof FloatAnnBackend) {
    tensors.data = { dtype: 'F32', shape: [n, dim], data: backend.exportRows() };
    tensors.deleted = { dtype: 'U8', shape: [n], data: deletedFlags(backend) };
  } else if (backend instanceof SignBitAnnBackend) {
    tensors.data = { dtype: 'U8', shape: [n, backend.codes.rowBytes], data: backend.exportCodes() };
    tensors.deleted = { dtype: 'U8', shape: [n], data: backend.removedFlags() };
  } else if (backend instanceof ScalarAnnBackend) {
    const codes = backend.exportCodes();
    tensors.data = { dtype: 'I8', shape: [n, dim], data: new Int8Array(codes.buffer, codes.byteOffset, codes.length) };
    tensors.deleted = { dtype: 'U8', shape: [n], data: backend.removedFlags() };
    tensors.offset = { dtype: 'F32', shape: [dim], data: backend.codebook.offset };
    tensors.step = { dtype: 'F32', shape: [dim], data: backend.codebook.step };
  }
  const metadata: Record<string, string> = {
    format: NUMPY_ANN_FORMAT,
    version: '1',
    quantize: String(index.quantize ?? 0),
    dim: String(dim),
    normalize: String(index.normalize),
  };
  if (index.center || index.rerank !== undefined) {
    Object.assign(metadata, { version: String(NUMPY_ANN_FORMAT_VERSION), center: String(index.center), rerank: String(index.rerank ?? 0) });
    if (backend instanceof SignBitAnnBackend && backend.mean) tensors.mean = { dtype: 'F32', shape: [dim], data: backend.mean };
    const rows = backend instanceof FloatAnnBackend ? undefined : (backend as ScalarAnnBackend | SignBitAnnBackend).exportFloatRows();
    if (rows) tensors.rows = { dtype: 'F32', shape: [n, dim], data: rows };
  }
  return encodeSafetensors(tensors, metadata);
}

function refuseExtensionsInNpy(center: boolean | undefined, rerank: number | undefined, operation: string): void {
  if (center) throw new UnsupportedOperationError('NumpyAnnIndex', `.npy ${operation} of centred codes`, 'their mean needs safetensors');
  if (rerank) throw new UnsupportedOperationError('NumpyAnnIndex', `.npy ${operation} with rerank`, 'the float rows kept beside the codes need safetensors');
}

/** Loads txtai's `.npy` layout (see the module comment); `options` say how to read it. */
export function numpyAnnIndexFromNpy(bytes: Uint8Array, options: NumpyAnnLoadOptions = {}): NumpyAnnIndex {
  const array = toCOrder(parseNpy(bytes));
  const quantize = options.quantize === false ? undefined : options.quantize;
  if (quantize !== undefined && quantize > 1) {
    throw new UnsupportedOperationError('NumpyAnnIndex', '.npy import of 2..8-bit codes', 'their per-dimension grid needs safetensors');
  }
  refuseExtensionsInNpy(options.center, options.rerank, 'import');
  const layout = array.dtype === 'uint8' || quantize === 1 ? signBitLayout(array, options) : floatLayout(array, options);
  return restore(layout, array, undefined, options);
}

export function numpyAnnIndexFromSafetensors(bytes: Uint8Array, options: NumpyAnnLoadOptions = {}): NumpyAnnIndex {
  const file = parseSafetensors(bytes);
  const tensor = file.tensors.get('data');
  if (!tensor) throw new CorruptFileError('header', "safetensors file has no 'data' tensor");
  const data = tensorAsArray(tensor);
  const meta = file.metadata;
  let layout: Layout;
  if (meta.format === NUMPY_ANN_FORMAT) {
    if (meta.version !== '1' && meta.version !== String(NUMPY_ANN_FORMAT_VERSION)) {
      throw new CorruptFileError('version', `unsupported ${NUMPY_ANN_FORMAT} version ${meta.version}`);
    }
    const bits = Number(meta.quantize);
    const dim = Number(meta.dim);
    if (!Number.isInteger(bits) || bits < 0 || bits > 8) throw new CorruptFileError('header', `quantize must be 0..8, got ${meta.quantize}`);
    if (!Number.isSafeInteger(dim) || dim <= 0) throw new CorruptFileError('header', `dim must be a positive integer, got ${meta.dim}`);
    if (meta.normalize !== 'true' && meta.normalize !== 'false') throw new CorruptFileError('header', `normalize must be true or false, got ${meta.normalize}`);
    layout = { quantize: bits === 0 ? undefined : bits, dim, normalize: meta.normalize === 'true', ...extensionsOf(meta, bits) };
    if (bits === 0) floatLayout(data, { dim });
    else if (bits === 1) signBitLayout(data, { dim });
  } else {
    const quantize = options.quantize === false ? undefined : options.quantize;
    if (quantize !== undefined && quantize > 1) {
      throw new CorruptFileError('header', `a ${quantize}-bit file needs Quiver's metadata (the offset and step of its grid)`);
    }
    layout = data.dtype === 'uint8' || quantize === 1 ? signBitLayout(data, options) : floatLayout(data, options);
  }
  return restore(layout, data, file.tensors, options);
}

/** `center` and `rerank` of a version-2 file (version 1 has neither). */
function extensionsOf(meta: Readonly<Record<string, string>>, bits: number): { center: boolean; rerank: number | undefined } {
  if (meta.version === '1') return { center: false, rerank: undefined };
  if (meta.center !== 'true' && meta.center !== 'false') throw new CorruptFileError('header', `center must be true or false, got ${meta.center}`);
  const rerank = Number(meta.rerank);
  if (!/^\d{1,4}$/.test(meta.rerank ?? '') || rerank > MAX_RERANK) {
    throw new CorruptFileError('header', `rerank must be an integer from 0 to ${MAX_RERANK}, got ${meta.rerank}`);
  }
  const center = meta.center === 'true';
  if (bits === 0 && (center || rerank > 0)) throw new CorruptFileError('header', 'center and rerank need quantized codes');
  return { center, rerank: rerank === 0 ? undefined : rerank };
}

function requireContent(index: NumpyAnnIndex): { backend: AnnBackend; dim: number } {
  const backend = index.storage;
  if (!backend || index.dim === undefined) throw new InvalidArgumentError('index', 'has no rows yet; call index() first');
  return { backend, dim: index.dim };
}

function deletedFlags(backend: AnnBackend): Uint8Array {
  const flags = new Uint8Array(backend.slotCount);
  for (let slot = 0; slot < flags.length; slot++) flags[slot] = backend.isRemoved(slot) ? 1 : 0;
  return flags;
}

const TENSOR_DTYPES: Readonly<Record<string, NpyArray['dtype']>> = { F16: 'float16', F32: 'float32', F64: 'float64', U8: 'uint8', I8: 'int8' };

/** A safetensors tensor seen as a C-order array, for the dtypes this index stores. */
function tensorAsArray(tensor: SafetensorsTensor): NpyArray {
  const dtype = TENSOR_DTYPES[tensor.dtype];
  if (!dtype) throw new CorruptFileError('dtype', `'data' has unsupported dtype ${tensor.dtype}`);
  return { dtype, shape: tensor.shape, fortranOrder: false, data: tensor.data } as NpyArray;
}

function rowsAndWidth(shape: readonly number[]): [number, number] {
  if (shape.length !== 2) throw new CorruptFileError('header', `expected a 2-D array, got shape (${shape.join(', ')})`);
  if (shape[0] === 0 || shape[1] === 0) throw new CorruptFileError('header', `expected a non-empty array, got shape (${shape.join(', ')})`);
  return [shape[0]!, shape[1]!];
}

function floatLayout(array: NpyArray, options: NumpyAnnLoadOptions): Layout {
  if (array.dtype !== 'float32' && array.dtype !== 'float64' && array.dtype !== 'float16') {
    throw new CorruptFileError('dtype', `float rows must be float16/32/64, got ${array.dtype}`);
  }
  const [, width] = rowsAndWidth(array.shape);
  if (options.dim !== undefined && options.dim !== width) throw new CorruptFileError('header', `rows are ${width} wide, expected ${options.dim}`);
  return { quantize: undefined, dim: width, normalize: options.normalize ?? true };
}

function signBitLayout(array: NpyArray, options: NumpyAnnLoadOptions): Layout {
  if (array.dtype !== 'uint8') throw new CorruptFileError('dtype', `1-bit codes must be uint8, got ${array.dtype}`);
  const [, width] = rowsAndWidth(array.shape);
  const dim = options.dim ?? width * 8;
  if (!Number.isSafeInteger(dim) || dim <= 0 || signBitBytes(dim) !== width) {
    throw new CorruptFileError('header', `${width}-byte codes cannot hold ${dim} dimensions`);
  }
  return { quantize: 1, dim, normalize: options.normalize ?? true };
}

/** Builds a fresh index from a checked layout; rows flagged deleted (or all-zero without flags) are deleted. */
function restore(layout: Layout, data: NpyArray, tensors: Map<string, SafetensorsTensor> | undefined, options: NumpyAnnLoadOptions): NumpyAnnIndex {
  const [n, width] = rowsAndWidth(data.shape);
  const flags = tensors?.get('deleted');
  if (flags && (flags.dtype !== 'U8' || flags.shape.length !== 1 || flags.shape[0] !== n)) {
    throw new CorruptFileError('header', `'deleted' must be uint8 of shape (${n})`);
  }
  const kernels = options.kernels ?? 'auto';
  const { dim, center, rerank } = layout;
  const index = new NumpyAnnIndex({ dim, quantize: layout.quantize, normalize: layout.normalize, center, rerank, kernels });
  let backend: AnnBackend;
  let values: ArrayLike<number>;
  if (layout.quantize === undefined) {
    const rows = npyToFloat32Matrix(data).data;
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]! - rows[i]! !== 0) throw new CorruptFileError('header', `non-finite value at row ${Math.floor(i / width)}`);
    }
    const float = new FloatAnnBackend(layout.dim, kernels);
    float.append(rows);
    backend = float;
    values = rows;
  } else if (layout.quantize === 1) {
    const mean = center ? floatTensor(tensors!, 'mean', [dim]) : undefined;
    const floatRows = rerank ? floatTensor(tensors!, 'rows', [n, dim]) : undefined;
    const signBits = new SignBitAnnBackend(index.kernelBackend, layout.dim, { mean, rerank });
    if (floatRows) signBits.appendFloatRows(floatRows);
    signBits.appendCodes(data.data as Uint8Array);
    backend = signBits;
    values = data.data as Uint8Array;
  } else {
    if (!tensors) throw new CorruptFileError('header', `${layout.quantize}-bit codes need safetensors`);
    backend = scalarBackend(index, layout, data, tensors, n);
    values = data.data as Int8Array;
  }
  for (let slot = 0; slot < n; slot++) {
    const deleted = flags ? (flags.data as Uint8Array)[slot] !== 0 : isZeroRow(values, slot, width);
    if (deleted) backend.remove(slot);
  }
  index.adopt(layout.dim, backend);
  return index;
}

function scalarBackend(index: NumpyAnnIndex, layout: Layout, data: NpyArray, tensors: Map<string, SafetensorsTensor>, n: number): AnnBackend {
  const bits = layout.quantize!;
  if (data.dtype !== 'int8' || data.shape[1] !== layout.dim) throw new CorruptFileError('dtype', `${bits}-bit codes must be int8 of shape (${n}, ${layout.dim})`);
  const half = 2 ** (bits - 1);
  const codes = data.data;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i]! < -half || codes[i]! >= half) throw new CorruptFileError('header', `code ${codes[i]} at row ${Math.floor(i / layout.dim)} is outside ${bits} bits`);
  }
  const grid = (name: string): Float32Array => {
    const tensor = tensors.get(name);
    if (!tensor || tensor.dtype !== 'F32' || tensor.shape.length !== 1 || tensor.shape[0] !== layout.dim) {
      throw new CorruptFileError('header', `'${name}' must be float32 of shape (${layout.dim})`);
    }
    return tensor.data.slice();
  };
  const floatRows = layout.rerank ? floatTensor(tensors, 'rows', [n, layout.dim]) : undefined;
  let codebook: ScalarCodebook;
  try {
    codebook = new ScalarCodebook(bits, grid('offset'), grid('step'));
  } catch (cause) {
    if (cause instanceof CorruptFileError) throw cause;
    throw new CorruptFileError('header', `invalid quantization grid: ${(cause as Error).message}`, { cause });
  }
  const backend = new ScalarAnnBackend(index.kernelBackend, codebook, { rerank: layout.rerank });
  if (floatRows) backend.appendFloatRows(floatRows);
  backend.appendCodes(codes);
  return backend;
}

/** A float32 tensor of exactly `shape` with finite values, copied. */
function floatTensor(tensors: Map<string, SafetensorsTensor>, name: string, shape: readonly number[]): Float32Array {
  const tensor = tensors.get(name);
  if (!tensor || tensor.dtype !== 'F32' || tensor.shape.length !== shape.length || tensor.shape.some((size, i) => size !== shape[i])) {
    throw new CorruptFileError('header', `'${name}' must be float32 of shape (${shape.join(', ')})`);
  }
  const values = tensor.data as Float32Array;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! - values[i]! !== 0) throw new CorruptFileError('header', `non-finite value in '${name}' at ${i}`);
  }
  return values.slice();
}

function isZeroRow(values: ArrayLike<number>, slot: number, width: number): boolean {
  for (let i = slot * width, end = i + width; i < end; i++) if (values[i] !== 0) return false;
  return true;
}
