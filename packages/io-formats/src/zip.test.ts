import { InvalidArgumentError, crc32 } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { corruptReason } from '../test/helpers.js';
import { deflateRaw } from './deflate.js';
import { encodeZip, parseZip } from './zip.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A one-member zip with a deflated member whose declared sizes we control (a would-be zip bomb). */
function zipWithDeclaredSize(payload: Uint8Array, declaredSize: number, crc = 0): Uint8Array {
  const zip = encodeZip([{ name: 'x.npy', data: payload }], { compress: true, forceZip64: true });
  const view = new DataView(zip.buffer);
  // Central directory zip64 extra: [id 1][len 24][size u64][compressed u64][offset u64].
  const central = zip.length - 22 - 76 - (46 + 5 + 28);
  expect(view.getUint32(central, true)).toBe(0x02014b50);
  view.setUint32(central + 16, crc, true);
  view.setUint32(central + 46 + 5 + 4, declaredSize >>> 0, true);
  view.setUint32(central + 46 + 5 + 8, Math.floor(declaredSize / 2 ** 32), true);
  return zip;
}

describe('zip reader and writer', () => {
  it('round-trips stored, deflated, empty and UTF-8-named members', () => {
    const entries = [
      { name: 'a.txt', data: text('hello hello hello hello') },
      { name: 'empty', data: new Uint8Array(0) },
      { name: 'naïve/ünïcode.bin', data: [text('two '), text('parts')] },
    ];
    for (const options of [{}, { compress: true }, { forceZip64: true }, { compress: true, forceZip64: true }]) {
      const parsed = parseZip(encodeZip(entries, options));
      expect(parsed.map((e) => e.name)).toEqual(entries.map((e) => e.name));
      expect(new TextDecoder().decode(parsed[2]!.data)).toBe('two parts');
      expect(parsed[1]!.data.length).toBe(0);
    }
  });

  it('finds the end record behind an archive comment, and only within 64 KiB', () => {
    const zip = encodeZip([{ name: 'a', data: text('x') }]);
    const withComment = new Uint8Array(zip.length + 5);
    withComment.set(zip);
    withComment.set(text('hello'), zip.length);
    new DataView(withComment.buffer).setUint16(zip.length - 2, 5, true);
    expect(parseZip(withComment)[0]!.name).toBe('a');
    expect(corruptReason(() => parseZip(new Uint8Array(100_000)))).toBe('magic');
  });

  it('verifies CRC-32', () => {
    const zip = encodeZip([{ name: 'a', data: text('payload') }]);
    zip[30 + 1 + 2] ^= 1; // a byte of the stored data
    expect(corruptReason(() => parseZip(zip))).toBe('checksum');
  });

  it('refuses declared sizes beyond what deflate can produce, before allocating (zip bomb)', () => {
    const payload = new Uint8Array(1000);
    const bomb = zipWithDeclaredSize(payload, 2 ** 40);
    expect(corruptReason(() => parseZip(bomb))).toBe('limit');
  });

  it('refuses declared sizes over maxEntryBytes / maxTotalBytes', () => {
    const payload = new Uint8Array(100_000);
    const zip = encodeZip([{ name: 'x', data: payload }], { compress: true });
    expect(parseZip(zip)[0]!.data.length).toBe(100_000);
    expect(corruptReason(() => parseZip(zip, { maxEntryBytes: 99_999 }))).toBe('limit');
    const two = encodeZip([{ name: 'x', data: payload }, { name: 'y', data: payload }], { compress: true });
    expect(corruptReason(() => parseZip(two, { maxTotalBytes: 150_000 }))).toBe('limit');
  });

  it('refuses a member that inflates to more or less than it declares', () => {
    const payload = new Uint8Array(5000).fill(7);
    expect(corruptReason(() => parseZip(zipWithDeclaredSize(payload, 4999, crc32(payload))))).toBe('limit');
    expect(corruptReason(() => parseZip(zipWithDeclaredSize(payload, 5001, crc32(payload))))).toBe('truncated');
    expect(parseZip(zipWithDeclaredSize(payload, 5000, crc32(payload)))[0]!.data.length).toBe(5000);
    expect(deflateRaw(payload).length).toBeLessThan(100);
  });

  it('refuses encrypted members, unknown methods and overlapping members', () => {
    const zip = encodeZip([{ name: 'a', data: text('abc') }]);
    const central = zip.length - 22 - 47;
    const encrypted = zip.slice();
    encrypted[central + 8] = 1;
    expect(corruptReason(() => parseZip(encrypted))).toBe('unsupported');
    const bzip = zip.slice();
    bzip[central + 10] = 12;
    expect(corruptReason(() => parseZip(bzip))).toBe('unsupported');
    // Two central records pointing at the same local header.
    const two = encodeZip([{ name: 'a', data: text('abc') }, { name: 'b', data: text('abc') }]);
    const view = new DataView(two.buffer);
    const second = two.length - 22 - 47;
    view.setUint32(second + 42, 0, true);
    expect(corruptReason(() => parseZip(two))).toBe('header');
  });

  it('validates writer input', () => {
    expect(() => encodeZip([{ name: '', data: new Uint8Array(0) }])).toThrow(InvalidArgumentError);
    expect(() => encodeZip([{ name: 'a', data: new Uint8Array(0) }, { name: 'a', data: new Uint8Array(0) }])).toThrow(InvalidArgumentError);
    expect(() => encodeZip([{ name: 'a', data: [1, 2] as never }])).toThrow(InvalidArgumentError);
  });
});
