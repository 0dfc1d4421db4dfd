export { saveHnswIndex, loadHnswIndexFile, loadHnswIndexFileSync } from './hnsw-file.js';
export { DensePlainHNSW, DensePQHNSW, DenseFlatIndex } from './kannolo-files.js';
export type { DensePQHNSWFileOptions } from './kannolo-files.js';
export { FileRowStorage } from './file-row-storage.js';
export type { FileRowStorageOptions, RowFileFormat } from './file-row-storage.js';
export { HnswPool } from './hnsw-pool.js';
export type { HnswPoolOptions } from './hnsw-pool.js';
