import { describe, expect, it } from 'vitest';
import { crc32c } from './checksum.js';
import {
  ENVELOPE_HEADER_BYTES,
  SECTION_OPTIONAL,
  decodeEnvelope,
  encodeEnvelope,
  envelopeByteLength,
  envelopeChunks,
  float32Section,
  readEnvelopeHeader,
  uint32Section,
  type EnvelopeSpec,
} from './envelope.js';
import { CorruptFileError, InvalidArgumentError } from './errors.js';
import { SeededRandom } from './random.js';

const rows = new Float32Array([1, 2, 3, 4, 5, 6]);
const spec: EnvelopeSpec = {
  kind: 'TEST',
  formatMajor: 1,
  formatMinor: 2,
  metric: 'l2',
  scalar: 'f',
  flags: 5,
  dim: 3,
  count: 2,
  sections: [
    { tag: 'ROWS', data: rows },
    { tag: 'ODD ', data: new Uint8Array([1, 2, 3]) },
    { tag: 'EMPT', data: new Uint8Array(0) },
    { tag: 'IDS ', data: new Uint32Array([7, 9]) },
  ],
};

/** Rewrites the trailing CRC so a deliberate edit is seen by the structural checks, not the CRC. */
function resealTrailer(bytes: Uint8Array): Uint8Array {
  const end = bytes.byteLength - 4;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(end, crc32c(bytes.subarray(0, end)), true);
  return bytes;
}

function resealHeader(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(60, crc32c(bytes.subarray(0, 60)), true);
  return resealTrailer(bytes);
}

function expectCorrupt(fn: () => unknown, reason?: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptFileError);
    if (reason) expect((error as CorruptFileError).reason).toBe(reason);
    return;
  }
  expect.unreachable('expected a CorruptFileError');
}

describe('envelope', () => {
  it('round-trips header fields and section payloads with zero-copy views', () => {
    const bytes = encodeEnvelope(spec);
    expect(bytes.byteLength).toBe(envelopeByteLength(spec));
    expect(bytes.byteLength % 4).toBe(0);
    const { header, sections, sectionList } = decodeEnvelope(bytes, { kind: 'TEST', maxMajor: 1 });
    expect(header).toEqual({
      kind: 'TEST', formatMajor: 1, formatMinor: 2, metric: 'l2', scalar: 'f', flags: 5, dim: 3, count: 2, sectionCount: 4,
    });
    expect([...sections.keys()]).toEqual(['ROWS', 'ODD ', 'EMPT', 'IDS ']);
    const view = float32Section(sections.get('ROWS')!, 6);
    expect(view).toEqual(rows);
    expect(view.buffer).toBe(bytes.buffer); // no copy
    expect([...sections.get('ODD ')!]).toEqual([1, 2, 3]);
    expect(sections.get('EMPT')!.byteLength).toBe(0);
    expect([...uint32Section(sections.get('IDS ')!)]).toEqual([7, 9]);
    for (const section of sectionList) expect(section.offset % 8).toBe(0);
  });

  it('writes the documented byte layout', () => {
    const bytes = encodeEnvelope(spec);
    const view = new DataView(bytes.buffer);
    expect([...bytes.subarray(0, 8)]).toEqual([0x51, 0x55, 0x49, 0x56, 0x45, 0x52, 0x00, 0x01]);
    expect(view.getUint16(8, true)).toBe(1);
    expect(view.getUint16(10, true)).toBe(2);
    expect(String.fromCharCode(...bytes.subarray(12, 16))).toBe('TEST');
    expect(bytes[16]).toBe(3); // l2
    expect(bytes[17]).toBe('f'.charCodeAt(0));
    expect(view.getUint32(20, true)).toBe(3);
    expect(view.getUint32(24, true)).toBe(2);
    expect(view.getUint32(32, true)).toBe(4);
    expect([...bytes.subarray(36, 60)].every((b) => b === 0)).toBe(true);
    expect(view.getUint32(60, true)).toBe(crc32c(bytes.subarray(0, 60)));
    // First section header right after the 64-byte header, payload at 80.
    expect(String.fromCharCode(...bytes.subarray(64, 68))).toBe('ROWS');
    expect(view.getUint32(72, true)).toBe(24);
    expect(new Float32Array(bytes.buffer, 80, 6)).toEqual(rows);
    // ODD : 3 bytes padded with 5 zeros.
    expect(String.fromCharCode(...bytes.subarray(104, 108))).toBe('ODD ');
    expect([...bytes.subarray(120, 128)]).toEqual([1, 2, 3, 0, 0, 0, 0, 0]);
    const end = bytes.byteLength - 4;
    expect(view.getUint32(end, true)).toBe(crc32c(bytes.subarray(0, end)));
  });

  it('chunks concatenate to the one-buffer encoding and payload chunks are not copies', () => {
    const chunks = [...envelopeChunks(spec)];
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.byteLength;
    }
    expect(joined).toEqual(encodeEnvelope(spec));
    expect(chunks.some((chunk) => chunk.buffer === rows.buffer)).toBe(true);
  });

  it('copies a misaligned payload into an aligned typed array', () => {
    const bytes = encodeEnvelope(spec);
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
    shifted.set(bytes);
    const { sections } = decodeEnvelope(shifted, { maxMajor: 1 });
    const view = float32Section(sections.get('ROWS')!);
    expect(view).toEqual(rows);
    expect(view.buffer).not.toBe(shifted.buffer);
    expectCorrupt(() => float32Section(sections.get('ODD ')!), 'header');
    expectCorrupt(() => float32Section(sections.get('ROWS')!, 5), 'header');
  });

  it('rejects every truncation with CorruptFileError', () => {
    const bytes = encodeEnvelope(spec);
    for (let length = 0; length < bytes.byteLength; length++) {
      expectCorrupt(() => decodeEnvelope(bytes.slice(0, length), { maxMajor: 1 }));
    }
    expectCorrupt(() => decodeEnvelope(bytes.slice(0, 40), { maxMajor: 1 }), 'truncated');
    const longer = new Uint8Array(bytes.byteLength + 8);
    longer.set(bytes);
    expectCorrupt(() => decodeEnvelope(longer, { maxMajor: 1 }), 'truncated');
  });

  it('rejects random bit flips with CorruptFileError and nothing else', () => {
    const bytes = encodeEnvelope(spec);
    const random = new SeededRandom(42);
    for (let trial = 0; trial < 2000; trial++) {
      const copy = bytes.slice();
      const flips = 1 + random.nextInt(3);
      for (let f = 0; f < flips; f++) {
        const bit = random.nextInt(copy.byteLength * 8);
        copy[bit >>> 3]! ^= 1 << (bit & 7);
      }
      expectCorrupt(() => decodeEnvelope(copy, { kind: 'TEST', maxMajor: 1 }));
    }
  });

  it('rejects bad magic, wrong kind and header corruption with specific reasons', () => {
    const bytes = encodeEnvelope(spec);
    const badMagic = bytes.slice();
    badMagic[0] = 0x50;
    expectCorrupt(() => decodeEnvelope(badMagic, { maxMajor: 1 }), 'magic');
    expectCorrupt(() => decodeEnvelope(bytes, { kind: 'FLAT', maxMajor: 1 }), 'kind');
    const badHeader = bytes.slice();
    badHeader[20]! ^= 1; // dim
    expectCorrupt(() => decodeEnvelope(badHeader, { maxMajor: 1 }), 'checksum');
    const badPayload = bytes.slice();
    badPayload[81]! ^= 1;
    expectCorrupt(() => decodeEnvelope(badPayload, { maxMajor: 1 }), 'checksum');
    // A consistent file whose payload changed but whose CRC is skipped still decodes.
    expect(decodeEnvelope(badPayload, { maxMajor: 1, verifyChecksum: false }).sections.size).toBe(4);
  });

  it('checks section lengths against the remaining bytes before using them', () => {
    const bytes = encodeEnvelope(spec);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(76, 0x7fffffff, true); // high word of ROWS' byteLength
    expectCorrupt(() => decodeEnvelope(resealTrailer(huge), { maxMajor: 1 }), 'truncated');
    const manySections = bytes.slice();
    new DataView(manySections.buffer).setUint32(32, 0xffffffff, true);
    expectCorrupt(() => decodeEnvelope(resealHeader(manySections), { maxMajor: 1 }), 'limit');
    expectCorrupt(() => decodeEnvelope(bytes, { maxMajor: 1, limits: { maxSectionBytes: 16 } }), 'limit');
    expectCorrupt(() => decodeEnvelope(bytes, { maxMajor: 1, limits: { maxSections: 3 } }), 'limit');
  });

  it('checks the version range', () => {
    const newer = encodeEnvelope({ ...spec, formatMajor: 2 });
    expectCorrupt(() => decodeEnvelope(newer, { maxMajor: 1 }), 'version');
    expect(decodeEnvelope(newer, { maxMajor: 2 }).header.formatMajor).toBe(2);
    const newerMinor = encodeEnvelope({ ...spec, formatMinor: 99 });
    expect(decodeEnvelope(newerMinor, { maxMajor: 1 }).header.formatMinor).toBe(99);
    const zero = encodeEnvelope({ ...spec, formatMajor: 0 });
    expectCorrupt(() => decodeEnvelope(zero, { maxMajor: 1 }), 'version');
    expect(readEnvelopeHeader(newer, { maxMajor: 3 }).kind).toBe('TEST');
  });

  it('skips unknown optional sections and refuses unknown required ones', () => {
    const withExtra: EnvelopeSpec = {
      ...spec,
      sections: [...spec.sections, { tag: 'NEW?', flags: SECTION_OPTIONAL, data: new Uint8Array([1]) }],
    };
    const known = ['ROWS', 'ODD ', 'EMPT', 'IDS '];
    const decoded = decodeEnvelope(encodeEnvelope(withExtra), { maxMajor: 1, knownSections: known });
    expect(decoded.sections.has('NEW?')).toBe(false);
    expect(decoded.sections.size).toBe(4);
    const required: EnvelopeSpec = { ...spec, sections: [...spec.sections, { tag: 'NEW!', data: new Uint8Array([1]) }] };
    expectCorrupt(() => decodeEnvelope(encodeEnvelope(required), { maxMajor: 1, knownSections: known }), 'unsupported');
    // Without a known list every section is returned.
    expect(decodeEnvelope(encodeEnvelope(required), { maxMajor: 1 }).sections.has('NEW!')).toBe(true);
  });

  it('refuses unknown metric codes and duplicate sections in files', () => {
    const bytes = encodeEnvelope(spec);
    const badMetric = bytes.slice();
    badMetric[16] = 9;
    expectCorrupt(() => decodeEnvelope(resealHeader(badMetric), { maxMajor: 1 }), 'unsupported');
    const duplicate = bytes.slice();
    duplicate.set([0x52, 0x4f, 0x57, 0x53], 104); // rename 'ODD ' to 'ROWS'
    expectCorrupt(() => decodeEnvelope(resealTrailer(duplicate), { maxMajor: 1 }), 'header');
    expect(ENVELOPE_HEADER_BYTES).toBe(64);
  });

  it('validates the spec when encoding', () => {
    expect(() => encodeEnvelope({ ...spec, kind: 'PQ' })).toThrow(InvalidArgumentError);
    expect(() => encodeEnvelope({ ...spec, formatMajor: 70000 })).toThrow(InvalidArgumentError);
    expect(() => encodeEnvelope({ ...spec, dim: -1 })).toThrow(InvalidArgumentError);
    expect(() => encodeEnvelope({ ...spec, sections: [spec.sections[0]!, spec.sections[0]!] })).toThrow(InvalidArgumentError);
    expect(() => encodeEnvelope({ ...spec, sections: [{ tag: 'ROWS', flags: 2, data: rows }] })).toThrow(InvalidArgumentError);
    expect(decodeEnvelope(encodeEnvelope({ kind: 'NONE', formatMajor: 1, formatMinor: 0, dim: 0, count: 2 ** 40, sections: [] }), { maxMajor: 1 }).header)
      .toMatchObject({ metric: undefined, scalar: undefined, count: 2 ** 40, sectionCount: 0 });
  });
});

describe('nested envelopes', () => {
  const inner = encodeEnvelope({ kind: 'FLAT', formatMajor: 1, formatMinor: 0, dim: 3, count: 2, sections: [{ tag: 'ROWS', data: new Float32Array([1, 2, 3, 4, 5, 6]) }] });
  const outerSpec = (nested: boolean) => ({
    kind: 'IDMP', formatMajor: 1, formatMinor: 0, dim: 3, count: 2,
    sections: [{ tag: 'IDS ', data: new Uint32Array([7, 0, 9, 0]) }, { tag: 'INNR', data: inner, nested }, { tag: 'TAIL', data: new Uint8Array([1, 2, 3]) }],
  });

  it('fold the inner bytes into the outer CRC with the same result as reading them', () => {
    expect(encodeEnvelope(outerSpec(true))).toEqual(encodeEnvelope(outerSpec(false)));
  });

  it('decode with or without nestedSections, and the inner envelope catches its own damage', () => {
    const bytes = encodeEnvelope(outerSpec(true));
    const decoded = decodeEnvelope(bytes, { maxMajor: 1, nestedSections: ['INNR'] });
    expect(decodeEnvelope(decoded.sections.get('INNR')!, { maxMajor: 1 }).header.kind).toBe('FLAT');
    expect(decodeEnvelope(bytes, { maxMajor: 1 }).sections.get('INNR')).toEqual(inner);

    const damaged = bytes.slice();
    const innerAt = decoded.sectionList.find((s) => s.tag === 'INNR')!.offset;
    damaged[innerAt + ENVELOPE_HEADER_BYTES + 20]! ^= 1; // inside the inner ROWS payload
    expect(() => decodeEnvelope(damaged, { maxMajor: 1 })).toThrow(CorruptFileError);
    const trusting = decodeEnvelope(damaged, { maxMajor: 1, nestedSections: ['INNR'] });
    expect(() => decodeEnvelope(trusting.sections.get('INNR')!, { maxMajor: 1 })).toThrow(/CRC/);

    const outsideInner = bytes.slice();
    outsideInner[bytes.length - 10]! ^= 1; // in TAIL
    expect(() => decodeEnvelope(outsideInner, { maxMajor: 1, nestedSections: ['INNR'] })).toThrow(/CRC/);
  });

  it('refuse a section marked nested that holds no envelope', () => {
    expect(() => encodeEnvelope({ ...outerSpec(true), sections: [{ tag: 'INNR', data: new Uint8Array(100), nested: true }] })).toThrow(InvalidArgumentError);
  });
});
