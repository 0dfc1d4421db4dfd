import { CorruptFileError, InvalidArgumentError, type KernelChoice, type Metric } from '@quiver/core-math';
import { encodeNpy, npyToFloat32Matrix, parseNpy } from '@quiver/io-formats';
import { FlatIndex } from './flat-index.js';

export interface FlatIndexFromNpyOptions {
  /** The metric of the new index (default `cosine`; rows are normalized on insert as with `add`). */
  readonly metric?: Metric | string;
  readonly kernels?: KernelChoice;
}

/**
 * The live rows of `index` as a float32 `.npy` of shape `(size, dim)`, in slot order. Removed
 * slots are left out, so row numbers match the slots `compact()` would give. Under cosine the
 * rows are the stored unit vectors.
 */
export function flatIndexToNpy(index: FlatIndex): Uint8Array {
  if (!(index instanceof FlatIndex)) throw new InvalidArgumentError('index', 'must be a FlatIndex');
  const { dim, size, slotCount } = index;
  const rows = index.rowsView();
  let live = rows;
  if (size !== slotCount) {
    live = new Float32Array(size * dim);
    let next = 0;
    for (let slot = 0; slot < slotCount; slot++) {
      if (index.isRemoved(slot)) continue;
      live.set(rows.subarray(slot * dim, (slot + 1) * dim), next * dim);
      next++;
    }
  }
  return encodeNpy({ dtype: 'float32', shape: [size, dim], data: live });
}

/**
 * A FlatIndex over the rows of a 2-D `.npy` (any numeric dtype, C or Fortran order; float64 and
 * 64-bit integers are rounded to float32). Row `i` becomes slot `i`.
 */
export function flatIndexFromNpy(bytes: Uint8Array, options: FlatIndexFromNpyOptions = {}): FlatIndex {
  const array = parseNpy(bytes);
  if (array.shape.length !== 2) {
    throw new CorruptFileError('header', `expected a 2-D array of vectors, got shape (${array.shape.join(', ')})`);
  }
  const { data, rows, cols } = npyToFloat32Matrix(array);
  if (cols < 1) throw new CorruptFileError('header', 'vectors must have at least one column');
  const index = new FlatIndex({
    dim: cols,
    ...(options.metric !== undefined ? { metric: options.metric } : {}),
    ...(options.kernels !== undefined ? { kernels: options.kernels } : {}),
    initialCapacity: rows,
  });
  if (rows > 0) index.add(data);
  return index;
}
