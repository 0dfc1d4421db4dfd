export { QuiverVectorStore } from './quiver-vector-store.js';
export type { QuiverVectorStoreArgs, QuiverAddOptions, QuiverDeleteParams } from './quiver-vector-store.js';
export type { QuiverSimilarity } from './similarity.js';
export type { QuiverFilter, MetadataEqualityFilter, MetadataScalar } from './filters.js';
export type { BackendSpec } from '@quiver/docstore';
