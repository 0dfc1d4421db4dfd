import { CorruptFileError, InvalidArgumentError, crc32, isVectorSearchError } from '@quiver/core-math';
import { ByteReader, checkBytes, concatBytes } from './bytes.js';
import { deflateRaw } from './deflate.js';
import { inflateRaw } from './inflate.js';

/**
 * A small zip reader and writer (APPNOTE 6.3): stored and deflated members, zip64 records, CRC-32
 * checks. Enough for .npz archives; no encryption, multi-disk archives or other methods.
 */

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

/** Decompressors plugged in by the Node entry (node:zlib); must return exactly `size` bytes. */
export type InflateFunction = (compressed: Uint8Array, size: number) => Uint8Array;
export type DeflateFunction = (data: Uint8Array) => Uint8Array;

export interface ZipReadOptions {
  /** Largest declared uncompressed size accepted for one member (default 2 GiB). */
  readonly maxEntryBytes?: number;
  /** Largest total of declared uncompressed sizes (default 4 GiB). */
  readonly maxTotalBytes?: number;
  /** Replaces the built-in TypeScript inflater. */
  readonly inflate?: InflateFunction;
}

export interface ZipWriteEntry {
  readonly name: string;
  /** One buffer, or several written back to back (e.g. a .npy header and its data). */
  readonly data: Uint8Array | readonly Uint8Array[];
}

export interface ZipWriteOptions {
  /** Deflate members (default false: stored). A member that does not shrink is stored anyway. */
  readonly compress?: boolean;
  /** Write zip64 records even for small archives (they are used anyway past 4 GiB). */
  readonly forceZip64?: boolean;
  /** Replaces the built-in TypeScript deflater. */
  readonly deflate?: DeflateFunction;
}

const CONTEXT = '[@quiver/io-formats] zip';
const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const ZIP64_EOCD_SIZE = 56;
const LOCATOR_SIZE = 20;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/** DEFLATE cannot expand more than ~1032:1 (a 1-bit length-258 code plus a 1-bit distance). */
const MAX_DEFLATE_RATIO = 1032;
const DEFAULT_MAX_ENTRY_BYTES = 2 ** 31;
const DEFAULT_MAX_TOTAL_BYTES = 2 ** 32;

interface CentralRecord {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

interface Directory {
  count: number;
  offset: number;
  size: number;
  /** Where the end records begin: the central directory must end before this. */
  end: number;
}

function findDirectory(reader: ByteReader): Directory {
  const length = reader.length;
  if (length < EOCD_SIZE) throw new CorruptFileError('truncated', `${CONTEXT}: ${length} bytes is too short for a zip archive`);
  // The end record sits at the very end, followed only by its comment (at most 64 KiB).
  let eocd = -1;
  for (let i = length - EOCD_SIZE; i >= Math.max(0, length - EOCD_SIZE - MAX_COMMENT); i--) {
    if (reader.u32(i, 'end record') === SIG_EOCD && i + EOCD_SIZE + reader.u16(i + 20, 'comment length') === length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CorruptFileError('magic', `${CONTEXT}: no end-of-central-directory record (not a zip archive, or truncated)`);
  if (reader.u16(eocd + 4, 'disk number') !== 0 || reader.u16(eocd + 6, 'directory disk') !== 0) {
    throw new CorruptFileError('unsupported', `${CONTEXT}: multi-disk archives are not supported`);
  }
  let directory: Directory = {
    count: reader.u16(eocd + 10, 'entry count'),
    size: reader.u32(eocd + 12, 'directory size'),
    offset: reader.u32(eocd + 16, 'directory offset'),
    end: eocd,
  };
  const locator = eocd - LOCATOR_SIZE;
  if (locator >= 0 && reader.u32(locator, 'zip64 locator') === SIG_ZIP64_LOCATOR) {
    const recordOffset = reader.u64(locator + 8, 'zip64 end record offset');
    if (recordOffset + ZIP64_EOCD_SIZE > locator) {
      throw new CorruptFileError('header', `${CONTEXT}: zip64 end record offset ${recordOffset} is out of bounds`);
    }
    if (reader.u32(recordOffset, 'zip64 end record') !== SIG_ZIP64_EOCD) {
      throw new CorruptFileError('magic', `${CONTEXT}: bad zip64 end record signature`);
    }
    directory = {
      count: reader.u64(recordOffset + 32, 'zip64 entry count'),
      size: reader.u64(recordOffset + 40, 'zip64 directory size'),
      offset: reader.u64(recordOffset + 48, 'zip64 directory offset'),
      end: recordOffset,
    };
  } else if (directory.count === U16_MAX || directory.size === U32_MAX || directory.offset === U32_MAX) {
    throw new CorruptFileError('header', `${CONTEXT}: end record needs a zip64 record, which is missing`);
  }
  if (directory.offset + directory.size > directory.end) {
    throw new CorruptFileError('header', `${CONTEXT}: central directory (${directory.offset} + ${directory.size}) overruns the end record`);
  }
  if (directory.count * CENTRAL_SIZE > directory.size) {
    throw new CorruptFileError('header', `${CONTEXT}: ${directory.count} entries cannot fit in a ${directory.size}-byte directory`);
  }
  return directory;
}

function readCentralRecords(reader: ByteReader, directory: Directory): CentralRecord[] {
  const records: CentralRecord[] = [];
  const decoder = new TextDecoder();
  const end = directory.offset + directory.size;
  let p = directory.offset;
  for (let i = 0; i < directory.count; i++) {
    if (p + CENTRAL_SIZE > end || reader.u32(p, 'central header') !== SIG_CENTRAL) {
      throw new CorruptFileError('header', `${CONTEXT}: central directory entry ${i} is malformed`);
    }
    const nameLength = reader.u16(p + 28, 'name length');
    const extraLength = reader.u16(p + 30, 'extra length');
    const commentLength = reader.u16(p + 32, 'comment length');
    const next = p + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > end) throw new CorruptFileError('header', `${CONTEXT}: central directory entry ${i} overruns the directory`);
    const record: CentralRecord = {
      name: decoder.decode(reader.slice(p + CENTRAL_SIZE, nameLength, 'name')),
      flags: reader.u16(p + 8, 'flags'),
      method: reader.u16(p + 10, 'method'),
      crc: reader.u32(p + 16, 'crc'),
      compressedSize: reader.u32(p + 20, 'compressed size'),
      size: reader.u32(p + 24, 'size'),
      localOffset: reader.u32(p + 42, 'local header offset'),
    };
    applyZip64Extra(reader, p + CENTRAL_SIZE + nameLength, extraLength, record);
    records.push(record);
    p = next;
  }
  return records;
}

/** Replaces 0xFFFFFFFF placeholders with the 64-bit values of the zip64 extra field (id 1). */
function applyZip64Extra(reader: ByteReader, start: number, length: number, record: CentralRecord): void {
  const wanted = [record.size === U32_MAX, record.compressedSize === U32_MAX, record.localOffset === U32_MAX];
  if (!wanted.some(Boolean)) return;
  for (let p = start; p + 4 <= start + length; ) {
    const id = reader.u16(p, 'extra id');
    const size = reader.u16(p + 2, 'extra size');
    if (p + 4 + size > start + length) break;
    if (id === 1) {
      if (size < wanted.filter(Boolean).length * 8) break;
      let q = p + 4;
      const take = (): number => {
        const v = reader.u64(q, 'zip64 extra value');
        q += 8;
        return v;
      };
      if (wanted[0]) record.size = take();
      if (wanted[1]) record.compressedSize = take();
      if (wanted[2]) record.localOffset = take();
      return;
    }
    p += 4 + size;
  }
  throw new CorruptFileError('header', `${CONTEXT}: '${record.name}' needs a zip64 extra field, which is missing or short`);
}

/** Parses a zip archive into its members, verifying every CRC-32. Stored members are views into `bytes`. */
export function parseZip(input: Uint8Array, options: ZipReadOptions = {}): ZipEntry[] {
  const bytes = checkBytes(input);
  const maxEntryBytes = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const reader = new ByteReader(bytes, CONTEXT);
  const directory = findDirectory(reader);
  const records = readCentralRecords(reader, directory);

  // Validate everything (sizes, limits, member placement) before inflating anything.
  const seen = new Set<string>();
  const ranges: Array<{ start: number; end: number; record: CentralRecord }> = [];
  const dataStarts: number[] = [];
  let total = 0;
  for (const record of records) {
    const where = `${CONTEXT}: member '${record.name}'`;
    if (seen.has(record.name)) throw new CorruptFileError('header', `${where} appears twice`);
    seen.add(record.name);
    if (record.flags & 1) throw new CorruptFileError('unsupported', `${where} is encrypted`);
    if (record.method !== METHOD_STORED && record.method !== METHOD_DEFLATE) {
      throw new CorruptFileError('unsupported', `${where} uses compression method ${record.method} (only stored and deflate are supported)`);
    }
    if (record.method === METHOD_STORED && record.size !== record.compressedSize) {
      throw new CorruptFileError('header', `${where} is stored but its sizes differ`);
    }
    if (record.method === METHOD_DEFLATE && record.size > record.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw new CorruptFileError('limit', `${where} declares ${record.size} bytes from ${record.compressedSize} compressed, beyond what deflate can produce`);
    }
    if (record.size > maxEntryBytes) {
      throw new CorruptFileError('limit', `${where} declares ${record.size} bytes, over the ${maxEntryBytes}-byte limit`);
    }
    total += record.size;
    if (total > maxTotalBytes) {
      throw new CorruptFileError('limit', `${CONTEXT}: members declare over ${maxTotalBytes} bytes in total`);
    }
    const local = record.localOffset;
    if (local + LOCAL_SIZE > directory.offset || reader.u32(local, 'local header') !== SIG_LOCAL) {
      throw new CorruptFileError('header', `${where} has no local header at offset ${local}`);
    }
    const start = local + LOCAL_SIZE + reader.u16(local + 26, 'local name length') + reader.u16(local + 28, 'local extra length');
    const end = start + record.compressedSize;
    if (end > directory.offset) throw new CorruptFileError('truncated', `${where} data overruns the central directory`);
    ranges.push({ start: local, end, record });
    dataStarts.push(start);
  }
  ranges.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]!.start < ranges[i - 1]!.end) {
      throw new CorruptFileError('header', `${CONTEXT}: members '${ranges[i - 1]!.record.name}' and '${ranges[i]!.record.name}' overlap`);
    }
  }

  return records.map((record, i) => {
    const start = dataStarts[i]!;
    const compressed = bytes.subarray(start, start + record.compressedSize);
    const data = record.method === METHOD_STORED ? compressed : inflateMember(compressed, record, options.inflate);
    if (crc32(data) !== record.crc) {
      throw new CorruptFileError('checksum', `${CONTEXT}: member '${record.name}' fails its CRC-32 check`);
    }
    return { name: record.name, data };
  });
}

function inflateMember(compressed: Uint8Array, record: CentralRecord, inflate: InflateFunction | undefined): Uint8Array {
  const context = `${CONTEXT}: member '${record.name}'`;
  if (!inflate) return inflateRaw(compressed, record.size, context);
  let data: Uint8Array;
  try {
    data = inflate(compressed, record.size);
  } catch (cause) {
    if (isVectorSearchError(cause)) throw cause;
    throw new CorruptFileError('header', `${context}: invalid deflate stream`, { cause });
  }
  if (data.length !== record.size) {
    throw new CorruptFileError('header', `${context}: inflated to ${data.length} bytes, expected ${record.size}`);
  }
  return data;
}

/** Encodes a zip archive as a list of chunks (stored member data is not copied). */
export function encodeZipChunks(entries: readonly ZipWriteEntry[], options: ZipWriteOptions = {}): Uint8Array[] {
  if (!Array.isArray(entries)) throw new InvalidArgumentError('entries', 'must be an array');
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const names = new Set<string>();
  let offset = 0;
  const forceZip64 = options.forceZip64 === true;

  for (const entry of entries) {
    if (typeof entry?.name !== 'string' || entry.name.length === 0) {
      throw new InvalidArgumentError('entries', 'every entry needs a non-empty name');
    }
    if (names.has(entry.name)) throw new InvalidArgumentError('entries', `duplicate name '${entry.name}'`);
    names.add(entry.name);
    const parts = entry.data instanceof Uint8Array ? [entry.data] : entry.data;
    if (!Array.isArray(parts) || !parts.every((p) => p instanceof Uint8Array)) {
      throw new InvalidArgumentError(`entries['${entry.name}'].data`, 'must be a Uint8Array or an array of them');
    }
    let size = 0;
    let crc = 0;
    for (const part of parts) {
      size += part.length;
      crc = crc32(part, crc);
    }
    let method = METHOD_STORED;
    let payload: readonly Uint8Array[] = parts;
    let compressedSize = size;
    if (options.compress) {
      const packed = (options.deflate ?? deflateRaw)(parts.length === 1 ? parts[0]! : concatBytes(parts));
      if (packed.length < size) {
        method = METHOD_DEFLATE;
        payload = [packed];
        compressedSize = packed.length;
      }
    }
    const name = encoder.encode(entry.name);
    const zip64 = forceZip64 || size >= U32_MAX || compressedSize >= U32_MAX || offset >= U32_MAX;
    const flags = /^[\x20-\x7e]*$/.test(entry.name) ? 0 : 0x800; // bit 11: UTF-8 name
    const version = zip64 ? 45 : 20;

    const local = new Uint8Array(LOCAL_SIZE + name.length + (zip64 ? 20 : 0));
    const lv = new DataView(local.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, version, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, method, true);
    lv.setUint16(10, 0, true); // time 00:00:00
    lv.setUint16(12, 0x21, true); // date 1980-01-01: output is deterministic
    lv.setUint32(14, crc, true);
    lv.setUint32(18, zip64 ? U32_MAX : compressedSize, true);
    lv.setUint32(22, zip64 ? U32_MAX : size, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, zip64 ? 20 : 0, true);
    local.set(name, LOCAL_SIZE);
    if (zip64) {
      const e = LOCAL_SIZE + name.length;
      lv.setUint16(e, 1, true);
      lv.setUint16(e + 2, 16, true);
      setU64(lv, e + 4, size);
      setU64(lv, e + 12, compressedSize);
    }

    const record = new Uint8Array(CENTRAL_SIZE + name.length + (zip64 ? 28 : 0));
    const cv = new DataView(record.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, version, true);
    cv.setUint16(6, version, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, zip64 ? U32_MAX : compressedSize, true);
    cv.setUint32(24, zip64 ? U32_MAX : size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, zip64 ? 28 : 0, true);
    cv.setUint32(42, zip64 ? U32_MAX : offset, true);
    record.set(name, CENTRAL_SIZE);
    if (zip64) {
      const e = CENTRAL_SIZE + name.length;
      cv.setUint16(e, 1, true);
      cv.setUint16(e + 2, 24, true);
      setU64(cv, e + 4, size);
      setU64(cv, e + 12, compressedSize);
      setU64(cv, e + 20, offset);
    }
    central.push(record);
    chunks.push(local, ...payload);
    offset += local.length + compressedSize;
  }

  const directoryOffset = offset;
  let directorySize = 0;
  for (const record of central) directorySize += record.length;
  chunks.push(...central);
  const count = central.length;
  const zip64End = forceZip64 || count >= U16_MAX || directorySize >= U32_MAX || directoryOffset >= U32_MAX;
  if (zip64End) {
    const end = new Uint8Array(ZIP64_EOCD_SIZE + LOCATOR_SIZE);
    const v = new DataView(end.buffer);
    v.setUint32(0, SIG_ZIP64_EOCD, true);
    setU64(v, 4, ZIP64_EOCD_SIZE - 12);
    v.setUint16(12, 45, true);
    v.setUint16(14, 45, true);
    setU64(v, 24, count);
    setU64(v, 32, count);
    setU64(v, 40, directorySize);
    setU64(v, 48, directoryOffset);
    v.setUint32(ZIP64_EOCD_SIZE, SIG_ZIP64_LOCATOR, true);
    setU64(v, ZIP64_EOCD_SIZE + 8, directoryOffset + directorySize);
    v.setUint32(ZIP64_EOCD_SIZE + 16, 1, true);
    chunks.push(end);
  }
  const eocd = new Uint8Array(EOCD_SIZE);
  const v = new DataView(eocd.buffer);
  v.setUint32(0, SIG_EOCD, true);
  v.setUint16(8, zip64End ? U16_MAX : count, true);
  v.setUint16(10, zip64End ? U16_MAX : count, true);
  v.setUint32(12, zip64End ? U32_MAX : directorySize, true);
  v.setUint32(16, zip64End ? U32_MAX : directoryOffset, true);
  chunks.push(eocd);
  return chunks;
}

export function encodeZip(entries: readonly ZipWriteEntry[], options: ZipWriteOptions = {}): Uint8Array {
  return concatBytes(encodeZipChunks(entries, options));
}

function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true);
}
