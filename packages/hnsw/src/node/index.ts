export { saveHnswIndex, loadHnswIndexFile, loadHnswIndexFileSync } from './hnsw-file.js';
export { DensePlainHNSW, DensePQHNSW, DenseFlatIndex } from './kannolo-files.js';
