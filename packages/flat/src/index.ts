export { FlatIndex } from './flat-index.js';
export type { FlatIndexOptions, FlatPrefilter, FlatSearchAsyncOptions } from './flat-index.js';
export { loadFlatIndex, flatIndexCodec } from './flat-codec.js';
export type { LoadFlatIndexOptions } from './flat-codec.js';
export { FLAT_FOURCC, FLAT_FORMAT_MAJOR, FLAT_FORMAT_MINOR } from './flat-format.js';
export { flatIndexToNpy, flatIndexFromNpy } from './flat-npy.js';
export type { FlatIndexFromNpyOptions } from './flat-npy.js';
export { NumpyVectorStore } from './numpy-vector-store.js';
export type { NumpyVectorStoreOptions, VectorHit, SimilaritySearchOptions, EuclideanSearchOptions, StoreVectors } from './numpy-vector-store.js';
export { NumpyAnnIndex, MAX_RERANK } from './numpy-ann-index.js';
export type { NumpyAnnIndexOptions, AnnHit, AnnVectors } from './numpy-ann-index.js';
export {
  numpyAnnIndexToNpy,
  numpyAnnIndexFromNpy,
  numpyAnnIndexToSafetensors,
  numpyAnnIndexFromSafetensors,
  NUMPY_ANN_FORMAT,
  NUMPY_ANN_FORMAT_VERSION,
} from './numpy-ann-persistence.js';
export type { NumpyAnnLoadOptions } from './numpy-ann-persistence.js';
export { ScalarCodebook } from './scalar-codes.js';
