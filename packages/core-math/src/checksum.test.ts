import { describe, expect, it } from 'vitest';
import { crc32, crc32c, crc32cCombine } from './checksum.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('checksums', () => {
  it('match the published check values for "123456789"', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
  });

  it('continue across chunks', () => {
    const all = ascii('The quick brown fox jumps over the lazy dog');
    for (const split of [0, 1, 5, 13, all.length]) {
      expect(crc32(all.subarray(split), crc32(all.subarray(0, split)))).toBe(crc32(all));
      expect(crc32c(all.subarray(split), crc32c(all.subarray(0, split)))).toBe(crc32c(all));
    }
    expect(crc32(all)).toBe(0x414fa339);
  });
});

/** The bit-at-a-time definition, for comparison with the sliced tables. */
function bitwiseCrc(poly: number, bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  }
  return ~c >>> 0;
}

describe('sliced checksums', () => {
  it('equal the bitwise definition at every length and alignment', () => {
    const data = new Uint8Array(200);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    for (let offset = 0; offset < 8; offset++) {
      for (const length of [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 63, 64, 100, 191]) {
        const bytes = data.subarray(offset, offset + length);
        expect(crc32c(bytes)).toBe(bitwiseCrc(0x82f63b78, bytes));
        expect(crc32(bytes)).toBe(bitwiseCrc(0xedb88320, bytes));
      }
    }
  });
});

describe('crc32cCombine', () => {
  it('gives the CRC of a concatenation from the parts’ CRCs', () => {
    const data = new Uint8Array(5000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 40503 + 7) >>> 3;
    for (const split of [0, 1, 7, 8, 100, 4095, 4999, 5000]) {
      const a = data.subarray(0, split);
      const b = data.subarray(split);
      expect(crc32cCombine(crc32c(a), crc32c(b), b.length)).toBe(crc32c(data));
    }
  });

  it('folds in a message followed by its own CRC as a constant of its length', () => {
    // Why nested envelopes need not be read twice: crc(m ‖ le32(crc(m))) does not depend on m.
    const withOwnCrc = (m: Uint8Array) => {
      const out = new Uint8Array(m.length + 4);
      out.set(m);
      new DataView(out.buffer).setUint32(m.length, crc32c(m), true);
      return out;
    };
    const residue = crc32c(new Uint8Array(4));
    for (const length of [0, 1, 9, 300]) {
      const m = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
      expect(crc32c(withOwnCrc(m))).toBe(residue);
      expect(crc32c(withOwnCrc(m), 0x12345678)).toBe(crc32cCombine(0x12345678, residue, length + 4));
    }
  });

  it('rejects a bad length', () => {
    expect(() => crc32cCombine(0, 0, -1)).toThrow(/lengthB/);
  });
});
