/**
 * turbovec's packed row layout (`packed_codes()`), generalized to 1-8 bits: a row of `dim` codes
 * is `bits` bit planes of `dim / 8` bytes each, lowest plane first. In plane `p`, byte `c` holds bit
 * `p` of the codes of coordinates `8c .. 8c+7`, coordinate `8c + k` at bit `7 - k` (most significant
 * first). Bytes per row = `bits * dim / 8`.
 */

/** Packs `codes[0 .. dim)` into `out[offset .. offset + bits * dim / 8)`. */
export function packRow(codes: Uint8Array, dim: number, bits: number, out: Uint8Array, offset: number): void {
  const bytesPerPlane = dim >>> 3;
  if (bits <= 4) {
    for (let c = 0; c < bytesPerPlane; c++) {
      const b = c << 3;
      // Eight codes as nibbles, coordinate 8c at the top: nibble j holds coordinate 8c + 7 - j.
      const word =
        ((codes[b]! << 28) | (codes[b + 1]! << 24) | (codes[b + 2]! << 20) | (codes[b + 3]! << 16) |
          (codes[b + 4]! << 12) | (codes[b + 5]! << 8) | (codes[b + 6]! << 4) | codes[b + 7]!) >>> 0;
      for (let p = 0; p < bits; p++) {
        // Bit p of every nibble (bits 4j) compressed to bits j: the plane byte, MSB = coordinate 8c.
        let x = (word >>> p) & 0x11111111;
        x = (x | (x >>> 3)) & 0x03030303;
        x = (x | (x >>> 6)) & 0x000f000f;
        out[offset + p * bytesPerPlane + c] = (x | (x >>> 12)) & 0xff;
      }
    }
    return;
  }
  for (let c = 0; c < bytesPerPlane; c++) {
    const base = c << 3;
    for (let p = 0; p < bits; p++) {
      let byte = 0;
      for (let k = 0; k < 8; k++) byte |= ((codes[base + k]! >>> p) & 1) << (7 - k);
      out[offset + p * bytesPerPlane + c] = byte;
    }
  }
}

/** Unpacks one row starting at `codes[offset]` into `out[0 .. dim)`. */
export function unpackRowAt(codes: Uint8Array, offset: number, dim: number, bits: number, out: Uint8Array): void {
  const bytesPerPlane = dim >>> 3;
  out.fill(0, 0, dim);
  for (let p = 0; p < bits; p++) {
    const plane = offset + p * bytesPerPlane;
    for (let c = 0; c < bytesPerPlane; c++) {
      const byte = codes[plane + c]!;
      if (byte === 0) continue;
      const base = c << 3;
      for (let k = 0; k < 8; k++) out[base + k] = out[base + k]! | (((byte >>> (7 - k)) & 1) << p);
    }
  }
}
