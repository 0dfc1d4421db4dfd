/**
 * Constants of IvfIndex's file format (envelope kind `IVF `), specified in docs/file-format.md.
 * Bump the minor version to add optional sections, the major one for anything incompatible.
 */
export const IVF_FOURCC = 'IVF ';
export const IVF_FORMAT_MAJOR = 1;
export const IVF_FORMAT_MINOR = 0;
/** u32 × 8: nlist, storage (0 flat, 1 pq), M, nbits, residual (0/1), rerank (0/1), nprobe, rerankFactor. */
export const IVF_PARAMS_SECTION = 'PRMS';
/** `nlist × dim` float32 coarse centroids. */
export const IVF_CENTROIDS_SECTION = 'CENT';
/** `M × 2^nbits × dim / M` float32 PQ codebooks (pq storage only). */
export const IVF_CODEBOOKS_SECTION = 'PQCB';
/** `slotCount` u32: the list of each slot. */
export const IVF_ASSIGN_SECTION = 'ASGN';
/** Per slot, in slot order: `dim` float32 (flat) or a packed PQ code (pq). */
export const IVF_DATA_SECTION = 'DATA';
/** `slotCount × dim` float32 rows kept for reranking (pq with rerank only). */
export const IVF_RERANK_SECTION = 'RROW';
/** `ceil(slotCount / 32)` u32 tombstone words. */
export const IVF_TOMBSTONES_SECTION = 'TOMB';
export const IVF_SECTIONS: readonly string[] = [
  IVF_PARAMS_SECTION,
  IVF_CENTROIDS_SECTION,
  IVF_CODEBOOKS_SECTION,
  IVF_ASSIGN_SECTION,
  IVF_DATA_SECTION,
  IVF_RERANK_SECTION,
  IVF_TOMBSTONES_SECTION,
];
export const IVF_PARAM_WORDS = 8;
