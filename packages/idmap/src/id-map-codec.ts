import {
  CorruptFileError,
  InvalidArgumentError,
  decodeEnvelope,
  isVectorSearchError,
  uint32Section,
  type EnvelopeLimits,
  type VectorIndex,
} from '@quiver/core-math';
import { IDMAP_DEAD_SECTION, IDMAP_FORMAT_MAJOR, IDMAP_FOURCC, IDMAP_IDS_SECTION, IDMAP_INNER_SECTION, IDMAP_SECTIONS } from './id-map-format.js';
import { adoptIdTable, prepareIdTable, type IdMapIndex, type IdMapIndexOptions, type PreparedIdTable } from './id-map-index.js';

export interface LoadIdMapIndexOptions extends IdMapIndexOptions {
  /** Limits on the untrusted input (section count and size). */
  readonly limits?: EnvelopeLimits;
}

/**
 * Reads the inner index from the `INNR` section, e.g. `(bytes) => loadFlatIndex(bytes)`. It must
 * validate what it reads: when the section holds a Quiver envelope, the outer checksum relies on
 * the inner decoder's CRC check (every Quiver loader makes it).
 */
export type InnerIndexLoader<I extends VectorIndex> = (innerBytes: Uint8Array) => I;

/** Slots are int32 in search results. */
const MAX_SLOTS = 0x7fffffff;

/**
 * Loads an IdMapIndex written by `toBytes()`. Checks the envelope (magic, version, CRCs, lengths),
 * the id table and dead-slot bitset against the slot count and that live ids are unique, all
 * before the inner loader runs; then that the inner index matches the header (dimension, metric,
 * slot count) and the dead slots. Any defect is a `CorruptFileError`; errors of the inner loader
 * pass through unchanged.
 */
export function loadIdMapIndex<I extends VectorIndex>(
  bytes: Uint8Array,
  loadInner: InnerIndexLoader<I>,
  options: LoadIdMapIndexOptions = {},
): IdMapIndex<I> {
  if (typeof loadInner !== 'function') throw new InvalidArgumentError('loadInner', 'must be a function (innerBytes) => index');
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
  const { limits, ...indexOptions } = options;
  const { header, sections } = decodeEnvelope(bytes, {
    kind: IDMAP_FOURCC,
    maxMajor: IDMAP_FORMAT_MAJOR,
    knownSections: IDMAP_SECTIONS,
    // An inner index in Quiver's envelope is checked by its own loader's CRC, not read twice.
    nestedSections: [IDMAP_INNER_SECTION],
    ...(limits ? { limits } : {}),
  });
  const { count, dim, metric } = header;
  if (count > MAX_SLOTS) throw new CorruptFileError('limit', `${count} slots exceed the maximum of ${MAX_SLOTS}`);
  const idBytes = sections.get(IDMAP_IDS_SECTION);
  const deadBytes = sections.get(IDMAP_DEAD_SECTION);
  const innerBytes = sections.get(IDMAP_INNER_SECTION);
  if (!idBytes || !deadBytes || !innerBytes) throw new CorruptFileError('header', 'an IDMP file needs IDS, DEAD and INNR sections');
  if (idBytes.byteLength !== count * 8) throw new CorruptFileError('header', `IDS holds ${idBytes.byteLength} bytes, expected ${count} u64 ids`);
  const dead = uint32Section(deadBytes, Math.ceil(count / 32), 'DEAD').slice();
  const tail = count & 31;
  if (tail !== 0 && dead[dead.length - 1]! >>> tail !== 0) throw new CorruptFileError('header', 'DEAD bits set past the last slot');
  // A copy, since the table is kept; built (and duplicates found) before the larger inner index loads.
  const pairs = new Uint32Array(count * 2);
  new Uint8Array(pairs.buffer).set(idBytes);
  let prepared: PreparedIdTable;
  try {
    prepared = prepareIdTable(pairs, dead);
  } catch (error) {
    if (isVectorSearchError(error) && error.code === 'DUPLICATE_ID') {
      throw new CorruptFileError('header', `the id table holds ${error.message}`, { cause: error });
    }
    throw error;
  }
  const inner = loadInner(innerBytes);
  if (inner === null || typeof inner !== 'object' || typeof inner.search !== 'function') {
    throw new InvalidArgumentError('loadInner', 'must return a Quiver VectorIndex');
  }
  if (inner.dim !== dim) throw new CorruptFileError('header', `the inner index has dimension ${inner.dim}, the header says ${dim}`);
  if (metric !== undefined && inner.metric !== metric) {
    throw new CorruptFileError('header', `the inner index uses ${inner.metric}, the header says ${metric}`);
  }
  if (inner.slotCount !== count) throw new CorruptFileError('header', `the inner index has ${inner.slotCount} slots, the id table ${count}`);
  if (inner.isRemoved) {
    for (let slot = 0; slot < count; slot++) {
      const isDead = (dead[slot >>> 5]! & (1 << (slot & 31))) !== 0;
      if (inner.isRemoved(slot) !== isDead) throw new CorruptFileError('header', `slot ${slot} is ${isDead ? 'dead' : 'live'} in DEAD but not in the inner index`);
    }
  }
  const liveIds = count - prepared.deadCount;
  if (inner.size !== liveIds) throw new CorruptFileError('header', `the inner index holds ${inner.size} live vectors, the id table ${liveIds} ids`);
  return adoptIdTable(inner, prepared, indexOptions);
}
