import { describe, expect, it } from 'vitest';
import { crc32, crc32c } from './checksum.js';

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
