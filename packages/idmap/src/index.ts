export { IdMapIndex } from './id-map-index.js';
export type { IdMapIndexOptions, RemovalMode, IdAllowlist, IdSearchOptions, IdSearchResult } from './id-map-index.js';
export { loadIdMapIndex } from './id-map-codec.js';
export type { LoadIdMapIndexOptions, InnerIndexLoader } from './id-map-codec.js';
export { IdSlotTable } from './id-slot-table.js';
export type { Id, IdBatch } from './ids.js';
export {
  IDMAP_FOURCC,
  IDMAP_FORMAT_MAJOR,
  IDMAP_FORMAT_MINOR,
  IDMAP_IDS_SECTION,
  IDMAP_DEAD_SECTION,
  IDMAP_INNER_SECTION,
} from './id-map-format.js';
