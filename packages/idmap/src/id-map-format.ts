/**
 * Constants of IdMapIndex's file format (envelope kind `IDMP`), specified in docs/file-format.md.
 * Bump the minor version to add optional sections, the major one for anything incompatible.
 */
export const IDMAP_FOURCC = 'IDMP';
export const IDMAP_FORMAT_MAJOR = 1;
export const IDMAP_FORMAT_MINOR = 0;
/** `slotCount` u64 ids, little-endian: the id of slot s (0 for a dead slot). */
export const IDMAP_IDS_SECTION = 'IDS ';
/** `ceil(slotCount / 32)` uint32 words; bit `s & 31` of word `s >>> 5` set = slot s has no id (tombstoned). */
export const IDMAP_DEAD_SECTION = 'DEAD';
/** The inner index's own serialization (`toBytes()`), opaque to this kind. */
export const IDMAP_INNER_SECTION = 'INNR';
export const IDMAP_SECTIONS: readonly string[] = [IDMAP_IDS_SECTION, IDMAP_DEAD_SECTION, IDMAP_INNER_SECTION];
