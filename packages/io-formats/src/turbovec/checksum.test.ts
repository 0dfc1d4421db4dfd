import { crc32c } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { TurbovecDigest, turbovecCrc } from './checksum.js';

function bytes(n: number, seed = 1): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
}

describe('turbovecCrc', () => {
  it('is plain CRC-32C (init and final xor 0xFFFFFFFF) below 4096 bytes', () => {
    expect(turbovecCrc(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(turbovecCrc(new Uint8Array(0))).toBe(0);
    const data = bytes(4095);
    expect(turbovecCrc(data)).toBe(crc32c(data));
  });

  it('hashes three length-derived thirds from 4096 bytes on, exactly at the threshold', () => {
    for (const len of [4096, 4097, 4098, 100_000]) {
      const data = bytes(len, len);
      const third = Math.floor(len / 3);
      const digest = new Uint8Array(12);
      const view = new DataView(digest.buffer);
      view.setUint32(0, crc32c(data.subarray(0, third)), true);
      view.setUint32(4, crc32c(data.subarray(third, 2 * third)), true);
      view.setUint32(8, crc32c(data.subarray(2 * third)), true);
      expect(turbovecCrc(data)).toBe(crc32c(digest));
      expect(turbovecCrc(data)).not.toBe(crc32c(data));
    }
  });

  it('gives the same value fed in any pieces (the streaming delta digest)', () => {
    for (const total of [0, 7, 4095, 4096, 6143, 12_289, 20_000]) {
      const data = bytes(total, 3);
      for (const chunk of [1, 3, 64, 1000, 4096]) {
        const d = new TurbovecDigest(total);
        for (let i = 0; i < total; i += chunk) d.push(data.subarray(i, i + chunk));
        expect(d.finish()).toBe(turbovecCrc(data));
      }
    }
  });
});
