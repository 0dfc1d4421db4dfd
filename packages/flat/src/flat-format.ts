/**
 * Constants of FlatIndex's file format (envelope kind `FLAT`), specified in docs/file-format.md.
 * Bump the minor version to add optional sections, the major one for anything incompatible.
 */
export const FLAT_FOURCC = 'FLAT';
export const FLAT_FORMAT_MAJOR = 1;
export const FLAT_FORMAT_MINOR = 0;
/** `slotCount × dim` float32 rows, row-major (unit length under cosine). */
export const FLAT_ROWS_SECTION = 'ROWS';
/** `ceil(slotCount / 32)` uint32 words; bit `s & 31` of word `s >>> 5` set = slot `s` removed. */
export const FLAT_TOMBSTONES_SECTION = 'TOMB';
export const FLAT_SECTIONS: readonly string[] = [FLAT_ROWS_SECTION, FLAT_TOMBSTONES_SECTION];
