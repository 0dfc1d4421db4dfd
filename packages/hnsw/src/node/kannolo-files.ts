import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@quiver/core-math';
import { npyToFloat32Matrix, parseNpy } from '@quiver/io-formats';
import { writeFileAtomicSync } from '@quiver/io-formats/node';
import { loadHnswIndex } from '../hnsw-codec.js';
import {
  DenseFlatIndex as BaseDenseFlatIndex,
  DensePlainHNSW as BaseDensePlainHNSW,
  DensePQHNSW as BaseDensePQHNSW,
  type DensePQHNSWOptions,
  type KannoloBuildOptions,
} from '../kannolo.js';

/** An .npy file of n × dim float32 (or another numeric dtype, converted) as a row-major matrix. */
function readMatrix(path: string): { data: Float32Array; dim: number } {
  const buffer = readFileSync(path);
  const matrix = npyToFloat32Matrix(parseNpy(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)));
  if (matrix.rows < 1 || matrix.cols < 1) throw new InvalidArgumentError('path', `${path} holds no vectors`);
  return { data: matrix.data, dim: matrix.cols };
}

/** `DensePlainHNSW` with kANNolo's file methods: `buildFromFile(.npy)`, `save(path)`, `load(path)`. */
export class DensePlainHNSW extends BaseDensePlainHNSW {
  static override buildFromArray(data: Float32Array, dim: number, options: KannoloBuildOptions = {}): DensePlainHNSW {
    return new DensePlainHNSW(BaseDensePlainHNSW.buildFromArray(data, dim, options).index);
  }

  static buildFromFile(path: string, options: KannoloBuildOptions = {}): DensePlainHNSW {
    const { data, dim } = readMatrix(path);
    return DensePlainHNSW.buildFromArray(data, dim, options);
  }

  /** Loads a file written by `save` (Quiver's `HNSW` format). */
  static load(path: string): DensePlainHNSW {
    const buffer = readFileSync(path);
    return new DensePlainHNSW(loadHnswIndex(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)));
  }

  /** Writes the index atomically to `path`. */
  save(path: string): void {
    writeFileAtomicSync(path, this.index.toChunks());
  }
}

/** `DensePQHNSW` with `buildFromFile(.npy)`. */
export class DensePQHNSW extends BaseDensePQHNSW {
  static buildFromFile(path: string, options: DensePQHNSWOptions = {}): BaseDensePQHNSW {
    const { data, dim } = readMatrix(path);
    return BaseDensePQHNSW.buildFromArray(data, dim, options);
  }
}

/** `DenseFlatIndex` with `buildFromFile(.npy)`. */
export class DenseFlatIndex extends BaseDenseFlatIndex {
  static buildFromFile(path: string, options: Pick<KannoloBuildOptions, 'metric' | 'kernels'> = {}): BaseDenseFlatIndex {
    const { data, dim } = readMatrix(path);
    return BaseDenseFlatIndex.buildFromArray(data, dim, options);
  }
}
