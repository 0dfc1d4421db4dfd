import { crc32c, crc32cCombine } from './checksum.js';
import { CorruptFileError, InvalidArgumentError } from './errors.js';
import { metricCode, metricFromCode, type Metric } from './metric.js';

/**
 * Quiver's file envelope: a fixed 64-byte header, 8-byte-aligned sections and a trailing CRC-32C.
 * The normative byte layout lives in `docs/file-format.md`; keep the two in step.
 *
 * Every multi-byte field is little-endian. Section payloads start at offsets that are multiples
 * of 8 from the start of the file, so a decoder hands out typed-array views without copying when
 * the input buffer itself is 8-byte aligned.
 */

/** `QUIVER`, NUL, 0x01: the 0x01 belongs to the magic and never changes (versions live at byte 8). */
export const ENVELOPE_MAGIC: readonly number[] = [0x51, 0x55, 0x49, 0x56, 0x45, 0x52, 0x00, 0x01];
export const ENVELOPE_HEADER_BYTES = 64;
export const SECTION_HEADER_BYTES = 16;
export const ENVELOPE_TRAILER_BYTES = 4;
/** Section flag bit 0: readers that do not know the tag skip the section. */
export const SECTION_OPTIONAL = 1;

const HEADER_CRC_OFFSET = 60;

/** Scalar codes (one ASCII byte) for the `scalar` header field. */
export type ScalarCode = 'f' | 'h' | 'd' | 'b' | 'B' | 'i' | 'u' | 'x';

export interface EnvelopeSectionInput {
  /** Four printable ASCII characters, e.g. `ROWS`, `IDS ` (pad short tags with spaces). */
  readonly tag: string;
  /** Bit 0 = optional (`SECTION_OPTIONAL`); other bits are reserved and must be zero. */
  readonly flags?: number;
  readonly data: Uint8Array | ArrayBufferView;
  /**
   * The payload is a complete Quiver envelope written by this module (another index's
   * `toBytes()`), so its own trailing CRC-32C already covers it. The outer checksum then folds it
   * in from its length alone instead of reading it a second time (see `nestedSections`).
   */
  readonly nested?: boolean;
}

export interface EnvelopeSpec {
  /** Four printable ASCII characters, e.g. `FLAT`, `PQ  `. */
  readonly kind: string;
  readonly formatMajor: number;
  readonly formatMinor: number;
  readonly metric?: Metric;
  readonly scalar?: ScalarCode;
  readonly flags?: number;
  readonly dim: number;
  readonly count: number;
  readonly sections: readonly EnvelopeSectionInput[];
}

export interface EnvelopeHeader {
  readonly kind: string;
  readonly formatMajor: number;
  readonly formatMinor: number;
  /** Undefined when the file stores no metric (code 0). */
  readonly metric: Metric | undefined;
  /** Undefined when the file stores no scalar type (code 0). */
  readonly scalar: string | undefined;
  readonly flags: number;
  readonly dim: number;
  readonly count: number;
  readonly sectionCount: number;
}

export interface EnvelopeSection {
  readonly tag: string;
  readonly flags: number;
  /** Offset of the payload from the start of the envelope. */
  readonly offset: number;
  /** A view into the input bytes (no copy). */
  readonly data: Uint8Array;
}

export interface EnvelopeLimits {
  /** Maximum number of sections (default 1024). */
  readonly maxSections?: number;
  /** Maximum payload bytes of one section (default: no limit beyond the input length). */
  readonly maxSectionBytes?: number;
}

export interface DecodeEnvelopeOptions {
  /** The expected kind; a different one is `CorruptFileError('kind')`. Omit to accept any kind. */
  readonly kind?: string;
  /** The newest major version this reader understands; newer files are `CorruptFileError('version')`. */
  readonly maxMajor: number;
  /** The oldest major version this reader understands (default 1). */
  readonly minMajor?: number;
  /**
   * The section tags this reader understands. When given, unknown optional sections are skipped
   * and unknown required ones are `CorruptFileError('unsupported')`. When omitted, every section
   * is returned.
   */
  readonly knownSections?: readonly string[];
  /** Verify the trailing CRC-32C over the whole envelope (default true). */
  readonly verifyChecksum?: boolean;
  /**
   * Tags of sections that may hold a nested envelope (`EnvelopeSectionInput.nested`). When such a
   * payload starts with the envelope magic, the trailing CRC is checked without reading it again,
   * which is exact provided the caller then decodes the payload with `decodeEnvelope` (whose own
   * CRC check covers it). Every Quiver loader does.
   */
  readonly nestedSections?: readonly string[];
  readonly limits?: EnvelopeLimits;
}

export interface DecodedEnvelope {
  readonly header: EnvelopeHeader;
  /** Payloads by tag (the 4-character form), as views into the input bytes. */
  readonly sections: Map<string, Uint8Array>;
  /** The same sections in file order, with their flags and offsets. */
  readonly sectionList: readonly EnvelopeSection[];
}

const DEFAULT_MAX_SECTIONS = 1024;

function padTo8(n: number): number {
  return (8 - (n % 8)) % 8;
}

function asBytes(data: Uint8Array | ArrayBufferView): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkFourcc(value: string, argument: string): void {
  if (typeof value !== 'string' || !/^[\x20-\x7e]{4}$/.test(value)) {
    throw new InvalidArgumentError(argument, `must be exactly 4 printable ASCII characters, got '${value}'`);
  }
}

function checkUint(value: number, max: number, argument: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(argument, `must be an integer in [0, ${max}], got ${value}`);
  }
}

function writeFourcc(view: DataView, offset: number, value: string): void {
  for (let i = 0; i < 4; i++) view.setUint8(offset + i, value.charCodeAt(i));
}

function readFourcc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true);
}

function readU64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 2 ** 32;
}

function validateSpec(spec: EnvelopeSpec): void {
  checkFourcc(spec.kind, 'kind');
  checkUint(spec.formatMajor, 0xffff, 'formatMajor');
  checkUint(spec.formatMinor, 0xffff, 'formatMinor');
  checkUint(spec.flags ?? 0, 0xffff, 'flags');
  checkUint(spec.dim, 0xffffffff, 'dim');
  checkUint(spec.count, Number.MAX_SAFE_INTEGER, 'count');
  if (spec.scalar !== undefined && (typeof spec.scalar !== 'string' || !/^[\x21-\x7e]$/.test(spec.scalar))) {
    throw new InvalidArgumentError('scalar', `must be one printable ASCII character, got '${spec.scalar}'`);
  }
  const tags = new Set<string>();
  for (const section of spec.sections) {
    checkFourcc(section.tag, 'section tag');
    if (tags.has(section.tag)) throw new InvalidArgumentError('sections', `duplicate section tag '${section.tag}'`);
    tags.add(section.tag);
    const flags = section.flags ?? 0;
    if (flags !== 0 && flags !== SECTION_OPTIONAL) {
      throw new InvalidArgumentError('section flags', `only bit 0 (optional) is defined, got ${flags}`);
    }
    if (!ArrayBuffer.isView(section.data)) throw new InvalidArgumentError('section data', `section '${section.tag}' needs bytes`);
    if (section.nested && !startsWithEnvelope(asBytes(section.data))) {
      throw new InvalidArgumentError('section data', `section '${section.tag}' is marked nested but holds no Quiver envelope`);
    }
  }
}

function encodeHeader(spec: EnvelopeSpec): Uint8Array {
  const header = new Uint8Array(ENVELOPE_HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set(ENVELOPE_MAGIC, 0);
  view.setUint16(8, spec.formatMajor, true);
  view.setUint16(10, spec.formatMinor, true);
  writeFourcc(view, 12, spec.kind);
  view.setUint8(16, spec.metric === undefined ? 0 : metricCode(spec.metric));
  view.setUint8(17, spec.scalar === undefined ? 0 : spec.scalar.charCodeAt(0));
  view.setUint16(18, spec.flags ?? 0, true);
  view.setUint32(20, spec.dim, true);
  writeU64(view, 24, spec.count);
  view.setUint32(32, spec.sections.length, true);
  // Bytes 36..59 are reserved zeros.
  view.setUint32(HEADER_CRC_OFFSET, crc32c(header.subarray(0, HEADER_CRC_OFFSET)), true);
  return header;
}

/** Total encoded size of an envelope, in bytes. */
export function envelopeByteLength(spec: EnvelopeSpec): number {
  let total = ENVELOPE_HEADER_BYTES + ENVELOPE_TRAILER_BYTES;
  for (const section of spec.sections) {
    const length = section.data.byteLength;
    total += SECTION_HEADER_BYTES + length + padTo8(length);
  }
  return total;
}

const ZERO_PAD = new Uint8Array(8);

/**
 * Writes an envelope as a sequence of chunks, in file order, for sinks that write sequentially
 * (files, streams). Payload chunks are views of the caller's data, not copies: consume each
 * chunk before mutating the data it came from.
 */
export function* envelopeChunks(spec: EnvelopeSpec): Generator<Uint8Array, void, undefined> {
  validateSpec(spec);
  const header = encodeHeader(spec);
  let crc = crc32c(header);
  yield header;
  for (const section of spec.sections) {
    const data = asBytes(section.data);
    const sectionHeader = new Uint8Array(SECTION_HEADER_BYTES);
    const view = new DataView(sectionHeader.buffer);
    writeFourcc(view, 0, section.tag);
    view.setUint32(4, section.flags ?? 0, true);
    writeU64(view, 8, data.byteLength);
    crc = crc32c(sectionHeader, crc);
    yield sectionHeader;
    if (data.byteLength > 0) {
      crc = section.nested ? foldNestedEnvelope(crc, data.byteLength) : crc32c(data, crc);
      yield data;
    }
    const pad = padTo8(data.byteLength);
    if (pad > 0) {
      const padding = ZERO_PAD.subarray(0, pad);
      crc = crc32c(padding, crc);
      yield padding;
    }
  }
  const trailer = new Uint8Array(ENVELOPE_TRAILER_BYTES);
  new DataView(trailer.buffer).setUint32(0, crc, true);
  yield trailer;
}

/** Encodes an envelope into one buffer (an 8-byte-aligned fresh `Uint8Array`). */
export function encodeEnvelope(spec: EnvelopeSpec): Uint8Array {
  validateSpec(spec);
  const out = new Uint8Array(envelopeByteLength(spec));
  let offset = 0;
  for (const chunk of envelopeChunks(spec)) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Reads and checks the 64-byte header only: magic, version range, header CRC, kind and metric.
 * Use it to dispatch on `kind` before a full decode.
 */
export function readEnvelopeHeader(bytes: Uint8Array, options: Omit<DecodeEnvelopeOptions, 'knownSections' | 'verifyChecksum' | 'limits'>): EnvelopeHeader {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', 'must be a Uint8Array');
  if (!isLittleEndianHost()) throw new CorruptFileError('unsupported', 'Quiver files are little-endian and this host is big-endian');
  if (bytes.byteLength < ENVELOPE_MAGIC.length) throw new CorruptFileError('truncated', `${bytes.byteLength} bytes is shorter than the magic`);
  for (let i = 0; i < ENVELOPE_MAGIC.length; i++) {
    if (bytes[i] !== ENVELOPE_MAGIC[i]) throw new CorruptFileError('magic', 'not a Quiver file (bad magic)');
  }
  if (bytes.byteLength < ENVELOPE_HEADER_BYTES + ENVELOPE_TRAILER_BYTES) {
    throw new CorruptFileError('truncated', `${bytes.byteLength} bytes is shorter than a header and trailer`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Bytes 8..11 keep their meaning in every major version, so the version is checked before the
  // header CRC, whose position a future major may move.
  const formatMajor = view.getUint16(8, true);
  const formatMinor = view.getUint16(10, true);
  const minMajor = options.minMajor ?? 1;
  if (formatMajor > options.maxMajor || formatMajor < minMajor) {
    throw new CorruptFileError('version', `format version ${formatMajor}.${formatMinor} is not readable here (supported majors ${minMajor}..${options.maxMajor})`);
  }
  const storedCrc = view.getUint32(HEADER_CRC_OFFSET, true);
  if (crc32c(bytes.subarray(0, HEADER_CRC_OFFSET)) !== storedCrc) {
    throw new CorruptFileError('checksum', 'header CRC-32C mismatch');
  }
  const kind = readFourcc(bytes, 12);
  if (options.kind !== undefined && kind !== options.kind) {
    throw new CorruptFileError('kind', `expected a '${options.kind}' file, got '${kind}'`);
  }
  const code = view.getUint8(16);
  const metric = code === 0 ? undefined : metricFromCode(code);
  if (code !== 0 && metric === undefined) throw new CorruptFileError('unsupported', `unknown metric code ${code}`);
  const scalarCode = view.getUint8(17);
  return {
    kind,
    formatMajor,
    formatMinor,
    metric,
    scalar: scalarCode === 0 ? undefined : String.fromCharCode(scalarCode),
    flags: view.getUint16(18, true),
    dim: view.getUint32(20, true),
    count: readU64(view, 24),
    sectionCount: view.getUint32(32, true),
  };
}

/**
 * Decodes and validates an envelope: magic, version, header CRC, kind, every section length
 * against the remaining bytes (before anything is allocated), the exact total length and the
 * trailing CRC-32C. Payloads are returned as views into `bytes`. Any defect is a
 * `CorruptFileError`; a bad argument is an `InvalidArgumentError`.
 */
export function decodeEnvelope(bytes: Uint8Array, options: DecodeEnvelopeOptions): DecodedEnvelope {
  const header = readEnvelopeHeader(bytes, options);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength - ENVELOPE_TRAILER_BYTES;
  const maxSections = options.limits?.maxSections ?? DEFAULT_MAX_SECTIONS;
  const maxSectionBytes = options.limits?.maxSectionBytes ?? Infinity;
  if (header.sectionCount > maxSections) {
    throw new CorruptFileError('limit', `${header.sectionCount} sections exceed the limit of ${maxSections}`);
  }
  if (header.sectionCount * SECTION_HEADER_BYTES > end - ENVELOPE_HEADER_BYTES) {
    throw new CorruptFileError('truncated', `${header.sectionCount} section headers do not fit in ${bytes.byteLength} bytes`);
  }
  // First pass: lengths and layout only, so nothing is built from a file that turns out bad.
  const layout: { tag: string; flags: number; offset: number; length: number }[] = [];
  const seen = new Set<string>();
  let offset = ENVELOPE_HEADER_BYTES;
  for (let i = 0; i < header.sectionCount; i++) {
    if (end - offset < SECTION_HEADER_BYTES) throw new CorruptFileError('truncated', `section ${i} header runs past the end`);
    const tag = readFourcc(bytes, offset);
    if (!/^[\x20-\x7e]{4}$/.test(tag)) throw new CorruptFileError('header', `section ${i} has a non-ASCII tag`);
    if (seen.has(tag)) throw new CorruptFileError('header', `duplicate section '${tag}'`);
    seen.add(tag);
    const flags = view.getUint32(offset + 4, true);
    if ((flags & ~SECTION_OPTIONAL) !== 0) throw new CorruptFileError('header', `section '${tag}' has undefined flag bits ${flags}`);
    const length = readU64(view, offset + 8);
    const payload = offset + SECTION_HEADER_BYTES;
    if (length > maxSectionBytes) {
      throw new CorruptFileError('limit', `section '${tag}' of ${length} bytes exceeds the limit of ${maxSectionBytes}`);
    }
    if (length > end - payload) throw new CorruptFileError('truncated', `section '${tag}' declares ${length} bytes, ${end - payload} remain`);
    const next = payload + length + padTo8(length);
    if (next > end) throw new CorruptFileError('truncated', `section '${tag}' padding runs past the end`);
    layout.push({ tag, flags, offset: payload, length });
    offset = next;
  }
  if (offset !== end) {
    throw new CorruptFileError('truncated', `expected ${offset + ENVELOPE_TRAILER_BYTES} bytes, got ${bytes.byteLength}`);
  }
  if (options.verifyChecksum ?? true) {
    if (envelopeCrc(bytes, end, layout, options.nestedSections) !== view.getUint32(end, true)) {
      throw new CorruptFileError('checksum', 'trailing CRC-32C mismatch');
    }
  }
  const known = options.knownSections ? new Set(options.knownSections) : undefined;
  const sections = new Map<string, Uint8Array>();
  const sectionList: EnvelopeSection[] = [];
  for (const { tag, flags, offset: at, length } of layout) {
    if (known && !known.has(tag)) {
      if (flags & SECTION_OPTIONAL) continue;
      throw new CorruptFileError('unsupported', `required section '${tag}' is unknown to this reader (written by a newer version?)`);
    }
    const data = bytes.subarray(at, at + length);
    sections.set(tag, data);
    sectionList.push({ tag, flags, offset: at, data });
  }
  return { header, sections, sectionList };
}

/**
 * CRC-32C of a complete envelope (its bytes followed by the CRC of those bytes), which does not
 * depend on the bytes, only on their length: CRCs are affine, so a message followed by its own CRC
 * always leaves the same register.
 */
const ENVELOPE_RESIDUE = crc32c(new Uint8Array(ENVELOPE_TRAILER_BYTES));

function foldNestedEnvelope(crc: number, length: number): number {
  return crc32cCombine(crc, ENVELOPE_RESIDUE, length);
}

/** Whether `data` begins like a Quiver envelope (magic and minimum length); a cheap dispatch test. */
export function startsWithEnvelope(data: Uint8Array): boolean {
  if (data.byteLength < ENVELOPE_HEADER_BYTES + ENVELOPE_TRAILER_BYTES) return false;
  for (let i = 0; i < ENVELOPE_MAGIC.length; i++) if (data[i] !== ENVELOPE_MAGIC[i]) return false;
  return true;
}

/** The trailing CRC over `bytes[0, end)`, folding in nested envelopes of the listed sections. */
function envelopeCrc(bytes: Uint8Array, end: number, layout: readonly { tag: string; offset: number; length: number }[], nestedTags?: readonly string[]): number {
  if (!nestedTags || nestedTags.length === 0) return crc32c(bytes.subarray(0, end));
  let crc = 0;
  let from = 0;
  for (const { tag, offset, length } of layout) {
    if (!nestedTags.includes(tag) || !startsWithEnvelope(bytes.subarray(offset, offset + length))) continue;
    crc = foldNestedEnvelope(crc32c(bytes.subarray(from, offset), crc), length);
    from = offset + length;
  }
  return crc32c(bytes.subarray(from, end), crc);
}

type TypedArrayConstructor<T> = {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
};

/**
 * Views a section payload as a typed array: no copy when the payload is aligned for the element
 * type (always, when the envelope buffer is 8-byte aligned), a copy otherwise. A payload whose
 * length is not a multiple of the element size, or differs from `expectedLength` elements, is a
 * `CorruptFileError('header')`.
 */
export function viewSection<T extends ArrayBufferView>(
  data: Uint8Array,
  type: TypedArrayConstructor<T>,
  expectedLength?: number,
  what = 'section',
): T {
  const size = type.BYTES_PER_ELEMENT;
  if (data.byteLength % size !== 0) throw new CorruptFileError('header', `${what}: ${data.byteLength} bytes is not a multiple of ${size}`);
  const length = data.byteLength / size;
  if (expectedLength !== undefined && length !== expectedLength) {
    throw new CorruptFileError('header', `${what}: expected ${expectedLength} elements, got ${length}`);
  }
  if (data.byteOffset % size === 0) return new type(data.buffer, data.byteOffset, length);
  const copy = new type(length);
  new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength).set(data);
  return copy;
}

export function float32Section(data: Uint8Array, expectedLength?: number, what?: string): Float32Array {
  return viewSection(data, Float32Array, expectedLength, what);
}

export function uint32Section(data: Uint8Array, expectedLength?: number, what?: string): Uint32Array {
  return viewSection(data, Uint32Array, expectedLength, what);
}

export function int32Section(data: Uint8Array, expectedLength?: number, what?: string): Int32Array {
  return viewSection(data, Int32Array, expectedLength, what);
}
