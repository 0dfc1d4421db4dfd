/** Constants of the DEFLATE format (RFC 1951, section 3.2.5), shared by inflate and deflate. */

/** Base match length for length symbols 257..285, and their extra bits. */
export const LENGTH_BASE = Uint16Array.from([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
]);
export const LENGTH_EXTRA = Uint8Array.from([
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]);

/** Base distance for distance symbols 0..29, and their extra bits. */
export const DIST_BASE = Uint16Array.from([
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
]);
export const DIST_EXTRA = Uint8Array.from([
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]);

/** The order in which code-length code lengths are stored in a dynamic block header. */
export const CODE_LENGTH_ORDER = Uint8Array.from([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

export const END_OF_BLOCK = 256;
export const MAX_CODE_BITS = 15;

/** Code lengths of the fixed Huffman codes (block type 1). */
export function fixedLiteralLengths(): Uint8Array {
  const lengths = new Uint8Array(288);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  return lengths;
}

export function fixedDistanceLengths(): Uint8Array {
  return new Uint8Array(30).fill(5);
}

/** Reverses the low `length` bits of `code` (Huffman codes are sent most-significant bit first). */
export function reverseBits(code: number, length: number): number {
  let out = 0;
  for (let i = 0; i < length; i++) {
    out = (out << 1) | (code & 1);
    code >>>= 1;
  }
  return out;
}

/** Canonical Huffman codes for the given lengths (RFC 1951, 3.2.2), bit-reversed for LSB-first output. */
export function canonicalCodes(lengths: Uint8Array): Uint16Array {
  const counts = new Uint16Array(MAX_CODE_BITS + 1);
  for (const l of lengths) counts[l]!++;
  counts[0] = 0;
  const next = new Uint16Array(MAX_CODE_BITS + 2);
  let code = 0;
  for (let bits = 1; bits <= MAX_CODE_BITS; bits++) {
    code = (code + counts[bits - 1]!) << 1;
    next[bits] = code;
  }
  const codes = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (l > 0) codes[s] = reverseBits(next[l]!++, l);
  }
  return codes;
}
