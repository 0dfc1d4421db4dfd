export { QuiverVectorStore } from './quiver-vector-store.js';
export type { QuiverVectorStoreOptions, QuiverPersistOptions } from './quiver-vector-store.js';
export type { QuiverSimilarity } from './similarity.js';
export { planMetadataFilters } from './metadata-filters.js';
export type { FilterPlan } from './metadata-filters.js';
export type { BackendSpec } from '@quiver/docstore';
