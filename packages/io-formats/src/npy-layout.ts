import { InvalidArgumentError, halfToFloat } from '@quiver/core-math';
import type { NumericArray } from './element-types.js';
import { checkNpyInput, type NpyArray, type NpyArrayInput } from './npy.js';

/** The same array in row-major (C) order; returns `array` itself when it already is. */
export function toCOrder(array: NpyArray): NpyArray {
  if (!array.fortranOrder) return array;
  return { ...array, fortranOrder: false, data: permute(array.data, array.shape, true) } as NpyArray;
}

/** The same array in column-major (Fortran) order; returns `array` itself when it already is. */
export function toFortranOrder(array: NpyArray): NpyArray {
  if (array.fortranOrder) return array;
  return { ...array, fortranOrder: true, data: permute(array.data, array.shape, false) } as NpyArray;
}

/**
 * Copies `data` between the two layouts: walks the output in its own order with an odometer over
 * the indices and keeps the matching input offset up to date incrementally.
 */
function permute<T extends NumericArray>(data: T, shape: readonly number[], fromFortran: boolean): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const n = shape.length;
  if (n < 2 || data.length === 0) {
    out.set(data as never);
    return out;
  }
  // Output is walked in C order when converting from Fortran, else in Fortran order: axes are
  // visited fastest-first in `axes`.
  const axes = fromFortran ? [...shape.keys()].reverse() : [...shape.keys()];
  const inStrides = new Array<number>(n);
  let stride = 1;
  const inAxes = fromFortran ? [...shape.keys()] : [...shape.keys()].reverse();
  for (const axis of inAxes) {
    inStrides[axis] = stride;
    stride *= shape[axis]!;
  }
  const index = new Array<number>(n).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = data[src]!;
    for (const axis of axes) {
      if (++index[axis]! < shape[axis]!) {
        src += inStrides[axis]!;
        break;
      }
      src -= (shape[axis]! - 1) * inStrides[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

export interface Float32Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * A row-major float32 matrix from any numeric array: 2-D arrays keep their shape, a 1-D array is one
 * row. float16 is widened exactly, 64-bit integers and float64 are rounded to float32. A C-order
 * float32 input is returned without copying.
 */
export function npyToFloat32Matrix(input: NpyArray | NpyArrayInput): Float32Matrix {
  const array = toCOrder(checkNpyInput(input));
  const { shape } = array;
  if (shape.length !== 1 && shape.length !== 2) {
    throw new InvalidArgumentError('array.shape', `must be 1-D or 2-D, got ${shape.length}-D`);
  }
  const rows = shape.length === 2 ? shape[0]! : 1;
  const cols = shape.length === 2 ? shape[1]! : shape[0]!;
  if (array.dtype === 'float32') return { data: array.data, rows, cols };
  const out = new Float32Array(array.data.length);
  if (array.dtype === 'float16') {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(array.data[i]!);
  } else if (array.dtype === 'int64' || array.dtype === 'uint64') {
    for (let i = 0; i < out.length; i++) out[i] = Number(array.data[i]!);
  } else {
    out.set(array.data);
  }
  return { data: out, rows, cols };
}
