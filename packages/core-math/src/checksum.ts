/**
 * Table-driven CRC-32 checksums (reflected, init and final xor 0xFFFFFFFF):
 * - `crc32`: the IEEE 802.3 polynomial 0xEDB88320, as zip, gzip and PNG use;
 * - `crc32c`: the Castagnoli polynomial 0x82F63B78, as Quiver's own files, iSCSI and ext4 use.
 * Both take a running value so large inputs can be fed in chunks.
 */

function makeTables(poly: number): Uint32Array[] {
  // Slicing-by-4: table[t][b] is the CRC of byte b followed by t zero bytes.
  const tables = Array.from({ length: 4 }, () => new Uint32Array(256));
  const base = tables[0]!;
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    base[b] = c >>> 0;
  }
  for (let t = 1; t < 4; t++) {
    const prev = tables[t - 1]!;
    const cur = tables[t]!;
    for (let b = 0; b < 256; b++) cur[b] = (prev[b]! >>> 8) ^ base[prev[b]! & 0xff]!;
  }
  return tables;
}

let ieeeTables: Uint32Array[] | undefined;
let castagnoliTables: Uint32Array[] | undefined;

function update(tables: Uint32Array[], crc: number, bytes: Uint8Array): number {
  const [t0, t1, t2, t3] = tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~crc >>> 0;
  let i = 0;
  const end4 = bytes.length & ~3;
  for (; i < end4; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = t3[c & 0xff]! ^ t2[(c >>> 8) & 0xff]! ^ t1[(c >>> 16) & 0xff]! ^ t0[c >>> 24]!;
  }
  for (; i < bytes.length; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 (IEEE). Pass the previous result as `crc` to continue a running checksum. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  ieeeTables ??= makeTables(0xedb88320);
  return update(ieeeTables, crc, bytes);
}

/** CRC-32C (Castagnoli). Pass the previous result as `crc` to continue a running checksum. */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  castagnoliTables ??= makeTables(0x82f63b78);
  return update(castagnoliTables, crc, bytes);
}
