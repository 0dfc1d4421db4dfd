import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlatIndex, loadFlatIndex } from '@quiver/flat';
import { describe, expect, it } from 'vitest';
import { loadIdMapIndex } from './id-map-codec.js';
import { IdMapIndex } from './id-map-index.js';

/**
 * Golden fixtures: one committed file per released IDMP format version. Old versions must keep
 * loading forever. Regenerate the current one only on purpose: QUIVER_UPDATE_FIXTURES=1 npx vitest run.
 */
const fixture = fileURLToPath(new URL('../test/fixtures/v1.0/idmap-flat-l2-4x3.quiver', import.meta.url));
const BIG = 2n ** 64n - 2n;

/** Four vectors under ids 7, 2^40, 2^64 - 2 and 9; the one under 9 tombstoned. */
function goldenIndex(): IdMapIndex<FlatIndex> {
  const index = new IdMapIndex(new FlatIndex({ dim: 3, metric: 'l2', kernels: 'js' }), { removal: 'tombstone' });
  index.addWithIds(new Float32Array([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]), [7, 2n ** 40n, BIG, 9]);
  index.remove(9);
  return index;
}

describe('IDMP golden fixtures', () => {
  if (process.env.QUIVER_UPDATE_FIXTURES === '1') {
    mkdirSync(dirname(fixture), { recursive: true });
    writeFileSync(fixture, goldenIndex().toBytes());
  }

  it('v1.0 loads with its ids, dead slot and inner FLAT index', () => {
    expect(existsSync(fixture)).toBe(true);
    const index = loadIdMapIndex(new Uint8Array(readFileSync(fixture)), (bytes) => loadFlatIndex(bytes, { kernels: 'js' }), { removal: 'tombstone' });
    expect([index.metric, index.dim, index.size, index.slotCount]).toEqual(['l2', 3, 3, 4]);
    expect(Array.from(index.ids())).toEqual([7n, 2n ** 40n, BIG]);
    expect(index.contains(9)).toBe(false);
    expect(Array.from(index.reconstruct(BIG))).toEqual([0, 2, 0]);
    const result = index.search(new Float32Array([0, 1.9, 0]), 2);
    expect(Array.from(result.ids)).toEqual([BIG, 7n]);
    index.checkConsistency();
  });

  it('the current writer still produces the v1.0 bytes', () => {
    expect(goldenIndex().toBytes()).toEqual(new Uint8Array(readFileSync(fixture)));
  });
});
