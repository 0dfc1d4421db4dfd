import { CorruptFileError, DuplicateIdError, InvalidArgumentError, crc32c } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { decodeTurbovec, detectTurbovec, encodeTurbovecV7 } from './codec.js';
import { encodeTurbovecSimple } from './simple.js';
import { V7Geometry } from './v7-layout.js';
import { content, makeParts, referenceSeqRow } from '../../test/turbovec/helpers.js';

/** A v7 image assembled field by field from the format description, not from the encoder. */
function handBuiltImage(parts: ReturnType<typeof makeParts>): Uint8Array {
  const { dim, bitWidth, count } = parts;
  const out: number[] = [];
  const u8 = (v: number) => out.push(v & 0xff);
  const u32 = (v: number) => { for (let i = 0; i < 4; i++) u8(v >>> (8 * i)); };
  const u64 = (v: bigint) => { for (let i = 0n; i < 8n; i++) u8(Number((v >> (8n * i)) & 0xffn)); };
  const f32 = (v: number) => { const b = new Uint8Array(new Float32Array([v]).buffer); b.forEach(u8); };
  const crcOf = (from: number) => crc32c(Uint8Array.from(out.slice(from)));
  // superblock
  [0x54, 0x56, 0x37, 0x00, 2, bitWidth, 1].forEach(u8);
  u32(dim); u64(0n); u32(1024);
  parts.codebook!.boundaries.forEach(f32); parts.codebook!.centroids.forEach(f32);
  u32(dim); parts.calibration!.shift.forEach(f32); parts.calibration!.scale.forEach(f32);
  u32(crcOf(0));
  const rowBytes = dim / Math.floor(8 / bitWidth);
  const hdrLen = 16 + 31 * (rowBytes + 12) + 4 + 1024 * (5 + 1 + rowBytes + 12) + 4 + 1024 * 4 + 12 + 4;
  // header slot 0
  const h = out.length;
  u64(0n); u64(BigInt(count));
  const whole = Math.floor(count / 32) * 32;
  for (let r = whole; r < count; r++) { referenceSeqRow(parts.packedCodes, r, dim, bitWidth).forEach(u8); f32(parts.scales[r]!); u64(parts.ids![r]!); }
  u32(0); u32(0); u32(0); u32(0);
  u32(crc32c(new Uint8Array(8))); // delta digest of generation 0 with no units
  u32(crcOf(h));
  while (out.length < h + 2 * hdrLen) u8(0);
  // one unit per whole block
  for (let b = 0; b < whole / 32; b++) {
    const rows = Array.from({ length: 32 }, (_, lane) => referenceSeqRow(parts.packedCodes, b * 32 + lane, dim, bitWidth));
    for (let g = 0; g < rowBytes; g++) for (let lane = 0; lane < 32; lane++) u8(rows[lane]![g]!);
    for (let lane = 0; lane < 32; lane++) f32(parts.scales[b * 32 + lane]!);
    for (let lane = 0; lane < 32; lane++) u64(parts.ids![b * 32 + lane]!);
  }
  return Uint8Array.from(out);
}

describe('encodeTurbovecV7', () => {
  for (const bitWidth of [2, 3, 4]) {
    it(`writes the v7 snapshot layout byte for byte (${bitWidth} bits, .tvim, calibrated)`, () => {
      const parts = makeParts({ dim: 16, bitWidth, count: 70, calibrated: true, idMapped: true, seed: bitWidth });
      const bytes = encodeTurbovecV7(parts);
      expect(Buffer.from(bytes).equals(Buffer.from(handBuiltImage(parts)))).toBe(true);
    });
  }

  it('pins the geometry turbovec derives every offset from', () => {
    for (const [kind, dim, bitWidth, nCalib] of [[0, 64, 4, 64], [1, 128, 2, 0], [0, 64, 3, 64]] as const) {
      const geo = new V7Geometry(kind, dim, bitWidth, nCalib);
      const row = dim / Math.floor(8 / bitWidth);
      const id = kind === 1 ? 8 : 0;
      const levels = 1 << bitWidth;
      expect(geo.superblockLength).toBe(23 + (levels - 1) * 4 + levels * 4 + 4 + nCalib * 8 + 4);
      expect(geo.headerLength).toBe(16 + 31 * (row + 4 + id) + 4 + 1024 * (5 + 1 + row + 4 + id) + 4 + 1024 * 4 + 12 + 4);
      expect(geo.unitLength).toBe(32 * row + 128 + 32 * id);
      expect(geo.unitAt(3) - geo.unitAt(2)).toBe(geo.unitLength);
    }
  });

  it('round-trips through decodeTurbovec for every kind, width and row count', () => {
    for (const count of [0, 1, 31, 32, 33, 100]) {
      for (const bitWidth of [2, 3, 4]) {
        for (const idMapped of [false, true]) {
          const parts = makeParts({ dim: 24, bitWidth, count, idMapped, calibrated: count % 2 === 0, seed: count + bitWidth });
          const back = decodeTurbovec(encodeTurbovecV7(parts));
          expect(content(back)).toEqual(content(parts));
          expect(Array.from(back.codebook!.centroids)).toEqual(Array.from(parts.codebook!.centroids));
          expect(back.origin).toMatchObject({ format: 'v7', revision: 2, nonce: 0n, generation: 0n, fellBack: false });
          expect(detectTurbovec(encodeTurbovecV7(parts))).toEqual({ format: 'v7', idMapped });
        }
      }
    }
  });

  it('keeps the lazy sentinel (dim 0, no rows, zero codebook)', () => {
    const lazy = { dim: 0, bitWidth: 4, count: 0, packedCodes: new Uint8Array(0), scales: new Float32Array(0) };
    const bytes = encodeTurbovecV7(lazy);
    expect(new DataView(bytes.buffer).getUint32(7, true)).toBe(0);
    const back = decodeTurbovec(bytes);
    expect(back).toMatchObject({ dim: 0, count: 0, codebook: undefined });
  });

  it('is deterministic and writes an id table only when asked', () => {
    const parts = makeParts({ dim: 8, bitWidth: 4, count: 40, idMapped: true });
    expect(Buffer.from(encodeTurbovecV7(parts)).equals(Buffer.from(encodeTurbovecV7(parts)))).toBe(true);
    const plain = decodeTurbovec(encodeTurbovecV7(parts, { idMap: false }));
    expect(plain.ids).toBeUndefined();
  });

  it('rejects parts turbovec would not write', () => {
    const good = makeParts({ dim: 8, bitWidth: 4, count: 3, idMapped: true });
    const bad = [
      { ...good, bitWidth: 5 },
      { ...good, dim: 12 },
      { ...good, dim: 16392 },
      { ...good, count: 4 },
      { ...good, scales: Float32Array.of(1, Number.NaN, 1) },
      { ...good, scales: Float32Array.of(1, -1, 1) },
      { ...good, codebook: undefined },
      { ...good, calibration: { shift: new Float32Array(8), scale: new Float32Array(8) } },
    ];
    for (const parts of bad) expect(() => encodeTurbovecV7(parts)).toThrow(InvalidArgumentError);
    const ids = good.ids!.slice();
    ids[2] = ids[0]!;
    expect(() => encodeTurbovecV7({ ...good, ids })).toThrow(DuplicateIdError);
  });
});

describe('the simple layout', () => {
  it('writes the 9-byte header, packed codes and norms, and the TVIM v1 variant', () => {
    const parts = makeParts({ dim: 16, bitWidth: 2, count: 3, idMapped: true });
    const tv = encodeTurbovecSimple(parts, { idMap: false });
    expect(Array.from(tv.subarray(0, 9))).toEqual([2, 16, 0, 0, 0, 3, 0, 0, 0]);
    expect(tv.length).toBe(9 + 3 * 4 + 3 * 4);
    expect(tv.subarray(9, 21)).toEqual(parts.packedCodes);
    expect(new Float32Array(tv.slice(21).buffer)).toEqual(parts.scales);
    const tvim = encodeTurbovecSimple(parts);
    expect(Array.from(tvim.subarray(0, 5))).toEqual([0x54, 0x56, 0x49, 0x4d, 1]);
    expect(tvim.length).toBe(5 + tv.length + 3 * 8);
    expect(content(decodeTurbovec(tv))).toEqual(content({ ...parts, ids: undefined }));
    expect(content(decodeTurbovec(tvim))).toEqual(content(parts));
    expect(decodeTurbovec(tvim).origin).toEqual({ format: 'simple' });
  });
});

describe('decodeTurbovec refusals', () => {
  const reasonOf = (bytes: Uint8Array): string => {
    try {
      decodeTurbovec(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptFileError);
      return (error as CorruptFileError).reason;
    }
    return 'no error';
  };

  it('names pre-v5 versions and unknown input', () => {
    expect(reasonOf(Uint8Array.of(0x54, 0x56, 0x50, 0x49, 4, 0, 0))).toBe('version');
    expect(reasonOf(Uint8Array.of(0x54, 0x56, 0x49, 0x4d, 9))).toBe('version');
    expect(reasonOf(new TextEncoder().encode('\x7fELF\x02\x01\x01\x00'))).toBe('magic');
    expect(reasonOf(new Uint8Array(0))).toBe('magic');
  });

  it('refuses an absurd dim or row count before allocating for it', () => {
    const parts = makeParts({ dim: 64, bitWidth: 4, count: 64 });
    const bytes = encodeTurbovecV7(parts);
    const hugeDim = bytes.slice();
    new DataView(hugeDim.buffer).setUint32(7, 1 << 24, true);
    expect(reasonOf(hugeDim)).toBe('header');
    const otherRevision = bytes.slice();
    otherRevision[4] = 3;
    expect(reasonOf(otherRevision)).toBe('version');
    // A tiny file claiming 2^40 rows, in every format.
    const v5 = new Uint8Array(64);
    v5.set([0x54, 0x56, 0x50, 0x49, 5, 4]);
    new DataView(v5.buffer).setUint32(6, 8, true);
    new DataView(v5.buffer).setUint32(14, 256, true);
    expect(reasonOf(v5)).toBe('truncated');
    const simple = Uint8Array.of(4, 8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff);
    expect(reasonOf(simple)).toBe('magic');
  });

  it('refuses a kind byte it does not know and a duplicate id', () => {
    const parts = makeParts({ dim: 8, bitWidth: 4, count: 40, idMapped: true });
    const bytes = encodeTurbovecV7(parts);
    const kind = bytes.slice();
    kind[6] = 2;
    expect(reasonOf(kind)).toBe('kind');
    const simple = encodeTurbovecSimple(parts);
    const dup = simple.slice();
    dup.copyWithin(dup.length - 8, dup.length - 16, dup.length - 8);
    expect(reasonOf(dup)).toBe('header');
  });
});
