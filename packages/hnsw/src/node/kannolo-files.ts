import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@quiver/core-math';
import { npyToFloat32Matrix, parseNpy } from '@quiver/io-formats';
import { writeFileAtomicSync } from '@quiver/io-formats/node';
import { loadHnswIndex } from '../hnsw-codec.js';
import { FileRowStorage } from './file-row-storage.js';
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

export interface DensePQHNSWFileOptions extends Omit<DensePQHNSWOptions, 'rerank'> {
  /**
   * Rerank candidates with exact vectors: `true` keeps a float32 copy in memory (default), `'file'`
   * reads the candidates' rows from the source .npy on demand (nothing per vector in memory), `false`
   * returns PQ scores.
   */
  readonly rerank?: boolean | 'file';
}

/**
 * `DensePQHNSW` with kANNolo's file methods, and rerank rows read from a file on demand
 * (`rerank: 'file'`, or `rerankFromFile(path)`), as DiskANN does.
 */
export class DensePQHNSW extends BaseDensePQHNSW {
  static override buildFromArray(data: Float32Array, dim: number, options: DensePQHNSWOptions = {}): DensePQHNSW {
    const built = BaseDensePQHNSW.buildFromArray(data, dim, options);
    return new DensePQHNSW(built.index, built.quantizer);
  }

  static buildFromFile(path: string, options: DensePQHNSWFileOptions = {}): DensePQHNSW {
    const { data, dim } = readMatrix(path);
    const { rerank, ...rest } = options;
    const built = DensePQHNSW.buildFromArray(data, dim, { ...rest, rerank: rerank === 'file' ? false : (rerank ?? true) });
    if (rerank === 'file') {
      try {
        built.rerankFromFile(path);
      } catch (error) {
        built.dispose();
        throw error;
      }
    }
    return built;
  }

  static override fromBytes(bytes: Uint8Array): DensePQHNSW {
    const loaded = BaseDensePQHNSW.fromBytes(bytes);
    return new DensePQHNSW(loaded.index, loaded.quantizer);
  }

  /** Loads a file written by `save`; `rerankFile` reattaches rerank rows read from that file (.npy, .fvecs or raw float32). */
  static load(path: string, options: { readonly rerankFile?: string } = {}): DensePQHNSW {
    const buffer = readFileSync(path);
    const loaded = DensePQHNSW.fromBytes(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
    if (options.rerankFile !== undefined) {
      try {
        loaded.rerankFromFile(options.rerankFile);
      } catch (error) {
        loaded.dispose();
        throw error;
      }
    }
    return loaded;
  }

  /** Reranks with rows read on demand from `path` (row s = slot s), replacing any rerank copy. */
  rerankFromFile(path: string): void {
    this.index.setRerankStorage(FileRowStorage.open(path, { metric: this.index.metric, dim: this.index.dim }));
  }

  /** Writes the index atomically to `path` (graph, codes, codebooks; a file rerank source stays where it is). */
  save(path: string): void {
    writeFileAtomicSync(path, this.index.toChunks());
  }
}

/** `DenseFlatIndex` with `buildFromFile(.npy)`. */
export class DenseFlatIndex extends BaseDenseFlatIndex {
  static buildFromFile(path: string, options: Pick<KannoloBuildOptions, 'metric' | 'kernels'> = {}): BaseDenseFlatIndex {
    const { data, dim } = readMatrix(path);
    return BaseDenseFlatIndex.buildFromArray(data, dim, options);
  }
}
