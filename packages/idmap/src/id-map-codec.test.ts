import { CorruptFileError, decodeEnvelope, encodeEnvelope, InvalidArgumentError, UnsupportedOperationError } from '@quiver/core-math';
import { FlatIndex, loadFlatIndex } from '@quiver/flat';
import { gaussianMixture } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { loadIdMapIndex } from './id-map-codec.js';
import { IDMAP_FOURCC } from './id-map-format.js';
import { IdMapIndex } from './id-map-index.js';

const DIM = 6;
const loadFlat = (bytes: Uint8Array) => loadFlatIndex(bytes, { kernels: 'js' });

function sample(removal: 'swap' | 'tombstone' = 'swap'): IdMapIndex<FlatIndex> {
  const index = new IdMapIndex(new FlatIndex({ dim: DIM, metric: 'cosine', kernels: 'js' }), { removal });
  index.addWithIds(gaussianMixture({ n: 40, dim: DIM, seed: 2 }), Array.from({ length: 40 }, (_, i) => (BigInt(i) << 50n) + 7n));
  for (const i of [0, 13, 39]) index.remove((BigInt(i) << 50n) + 7n);
  return index;
}

/** Rebuilds an IDMP envelope from decoded sections, with edits. */
function reencode(bytes: Uint8Array, edit: (sections: Map<string, Uint8Array>, header: { count: number; dim: number }) => void): Uint8Array {
  const { header, sections } = decodeEnvelope(bytes, { maxMajor: 1 });
  const copy = new Map([...sections].map(([tag, data]) => [tag, data.slice()]));
  const fields = { count: header.count, dim: header.dim };
  edit(copy, fields);
  return encodeEnvelope({
    kind: header.kind,
    formatMajor: header.formatMajor,
    formatMinor: header.formatMinor,
    ...(header.metric ? { metric: header.metric } : {}),
    dim: fields.dim,
    count: fields.count,
    sections: [...copy].map(([tag, data]) => ({ tag, data })),
  });
}

describe.each(['swap', 'tombstone'] as const)('IdMapIndex persistence (%s)', (removal) => {
  it('round-trips ids, dead slots, vectors and search results', () => {
    const index = sample(removal);
    const bytes = index.toBytes();
    const loaded = loadIdMapIndex(bytes, loadFlat, { removal });
    loaded.checkConsistency();
    expect(loaded.size).toBe(index.size);
    expect(loaded.slotCount).toBe(index.slotCount);
    expect(loaded.ids()).toEqual(index.ids());
    const queries = gaussianMixture({ n: 3, dim: DIM, seed: 9 });
    const a = index.search(queries, 5);
    const b = loaded.search(queries, 5);
    expect(b.ids).toEqual(a.ids);
    expect(b.scores).toEqual(a.scores);
    // The loaded index keeps working: removals and adds fix up its tables.
    loaded.remove((5n << 50n) + 7n);
    loaded.addWithIds(gaussianMixture({ n: 1, dim: DIM, seed: 4 }), [1]);
    loaded.checkConsistency();
    // toChunks writes the same bytes.
    const chunks = [...index.toChunks()];
    const joined = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
    let at = 0;
    for (const chunk of chunks) joined.set(chunk, (at += chunk.length) - chunk.length);
    expect(joined).toEqual(bytes);
  });
});

describe('loadIdMapIndex rejects corrupt input with CorruptFileError', () => {
  const good = sample('tombstone').toBytes();

  it('truncation, bit flips and a wrong kind', () => {
    for (const length of [0, 7, 40, 100, good.length - 1]) {
      expect(() => loadIdMapIndex(good.subarray(0, length), loadFlat)).toThrow(CorruptFileError);
    }
    // Every 7th byte: the inner index's bytes too, whose CRC the inner loader checks (nestedSections).
    for (let offset = 0; offset < good.length; offset += 7) {
      const bad = good.slice();
      bad[offset]! ^= 0x10;
      expect(() => loadIdMapIndex(bad, loadFlat)).toThrow(CorruptFileError);
    }
    const flatBytes = new FlatIndex({ dim: DIM, kernels: 'js' }).toBytes();
    expect(() => loadIdMapIndex(flatBytes, loadFlat)).toThrow(/kind/);
  });

  it('an id table of the wrong length, duplicate live ids, stray dead bits', () => {
    expect(() => loadIdMapIndex(reencode(good, (s) => s.set('IDS ', s.get('IDS ')!.subarray(8))), loadFlat)).toThrow(CorruptFileError);
    const duplicated = reencode(good, (s) => {
      const ids = new BigUint64Array(s.get('IDS ')!.buffer);
      ids[2] = ids[1]!;
    });
    expect(() => loadIdMapIndex(duplicated, loadFlat)).toThrow(/duplicate id/);
    const stray = reencode(good, (s) => {
      const dead = new Uint32Array(s.get('DEAD')!.buffer);
      dead[1]! |= 1 << 31; // slot 63 of 40
    });
    expect(() => loadIdMapIndex(stray, loadFlat)).toThrow(/past the last slot/);
    const missing = reencode(good, (s) => s.delete('DEAD'));
    expect(() => loadIdMapIndex(missing, loadFlat)).toThrow(/needs IDS, DEAD and INNR/);
  });

  it('checks duplicates before the inner loader runs', () => {
    const duplicated = reencode(good, (s) => {
      const ids = new BigUint64Array(s.get('IDS ')!.buffer);
      ids[2] = ids[1]!;
    });
    let called = false;
    expect(() =>
      loadIdMapIndex(duplicated, (bytes) => {
        called = true;
        return loadFlat(bytes);
      }),
    ).toThrow(CorruptFileError);
    expect(called).toBe(false);
  });

  it('an inner index that does not match the header or the dead slots', () => {
    const otherDim = new FlatIndex({ dim: DIM + 1, metric: 'cosine', kernels: 'js' });
    expect(() => loadIdMapIndex(good, () => otherDim)).toThrow(/dimension/);
    const otherMetric = new FlatIndex({ dim: DIM, metric: 'dot', kernels: 'js' });
    expect(() => loadIdMapIndex(good, () => otherMetric)).toThrow(/uses dot/);
    const fewer = new FlatIndex({ dim: DIM, metric: 'cosine', kernels: 'js' });
    fewer.add(gaussianMixture({ n: 3, dim: DIM, seed: 1 }));
    expect(() => loadIdMapIndex(good, () => fewer)).toThrow(/slots/);
    const deadMoved = reencode(good, (s) => {
      const dead = new Uint32Array(s.get('DEAD')!.buffer);
      dead[0] = (dead[0]! & ~1) | 2; // slot 0 live, slot 1 dead
    });
    expect(() => loadIdMapIndex(deadMoved, loadFlat)).toThrow(CorruptFileError);
  });

  it('validates its arguments and needs a serializable inner index', () => {
    expect(() => loadIdMapIndex(good, 'flat' as never)).toThrow(InvalidArgumentError);
    expect(() => loadIdMapIndex(good, () => ({}) as never)).toThrow(InvalidArgumentError);
    const inner = new FlatIndex({ dim: DIM, kernels: 'js' });
    const opaque = new Proxy(inner, {
      get: (target, key) => (key === 'capabilities' ? { ...target.capabilities, serialize: false } : Reflect.get(target, key, target)),
    });
    expect(() => new IdMapIndex(opaque).toBytes()).toThrow(UnsupportedOperationError);
    expect(IDMAP_FOURCC).toBe('IDMP');
  });
});
