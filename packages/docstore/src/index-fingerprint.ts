import { ENVELOPE_HEADER_BYTES, ENVELOPE_TRAILER_BYTES, SECTION_HEADER_BYTES } from '@quiver/core-math';

/**
 * What the document side-car records about its index part so a loader can tell the two belong
 * together, without hashing the index again (the envelope CRCs already verify its bytes):
 * the trailing CRC-32C of the `IDMP` envelope and the last 4 bytes of its `INNR` payload.
 *
 * The outer CRC alone is not enough. When the inner index is itself an envelope ending in the
 * CRC-32C of its own bytes (FLAT, HNSW), a CRC over "prefix, message, CRC of the message" does not
 * depend on the message at all (CRCs are affine), so two exact stores with the same ids and other
 * vectors share it. The inner tail then is that inner CRC, which covers the inner content; and when
 * the inner format does not end in such a CRC, the outer CRC covers it. Either way the pair does.
 */
export interface IndexFingerprint {
  readonly outer: number;
  readonly inner: number;
}

const INNER_TAG = 'INNR';

/** The fingerprint of an IDMP envelope given as consecutive chunks; undefined if its layout is broken. */
export function indexFingerprint(chunks: readonly Uint8Array[]): IndexFingerprint | undefined {
  const bytes = new ChunkReader(chunks);
  if (bytes.length < ENVELOPE_HEADER_BYTES + ENVELOPE_TRAILER_BYTES) return undefined;
  const outer = bytes.u32(bytes.length - 4);
  const sectionCount = bytes.u32(32);
  let offset = ENVELOPE_HEADER_BYTES;
  for (let i = 0; i < sectionCount && offset + SECTION_HEADER_BYTES <= bytes.length; i++) {
    const tag = String.fromCharCode(bytes.byte(offset), bytes.byte(offset + 1), bytes.byte(offset + 2), bytes.byte(offset + 3));
    const length = bytes.u32(offset + 8) + bytes.u32(offset + 12) * 2 ** 32;
    const payload = offset + SECTION_HEADER_BYTES;
    if (length > bytes.length - payload) return undefined;
    if (tag === INNER_TAG) return length < 4 ? undefined : { outer, inner: bytes.u32(payload + length - 4) };
    offset = payload + length + ((8 - (length % 8)) % 8);
  }
  return undefined;
}

/** Random access to a few bytes of a byte stream held as chunks. */
class ChunkReader {
  readonly length: number;
  private readonly chunks: readonly Uint8Array[];
  private readonly starts: number[] = [];

  constructor(chunks: readonly Uint8Array[]) {
    this.chunks = chunks;
    let at = 0;
    for (const chunk of chunks) {
      this.starts.push(at);
      at += chunk.byteLength;
    }
    this.length = at;
  }

  byte(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.chunks[lo]![offset - this.starts[lo]!]!;
  }

  /** Little-endian u32 at `offset`. */
  u32(offset: number): number {
    return (this.byte(offset) | (this.byte(offset + 1) << 8) | (this.byte(offset + 2) << 16) | (this.byte(offset + 3) << 24)) >>> 0;
  }
}
