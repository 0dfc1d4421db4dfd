import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFlatIndex } from './flat-codec.js';
import { FlatIndex } from './flat-index.js';

/**
 * Golden fixtures: one committed file per released FLAT format version. Old versions must keep
 * loading forever. Regenerate the current one only on purpose: QUIVER_UPDATE_FIXTURES=1 npx vitest run.
 */
const fixture = fileURLToPath(new URL('../test/fixtures/v1.0/flat-l2-5x3.quiver', import.meta.url));

function goldenIndex(): FlatIndex {
  const index = new FlatIndex({ dim: 3, metric: 'l2', kernels: 'js' });
  index.add(new Float32Array([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, -1, -1, -1]));
  index.remove(3);
  return index;
}

describe('FLAT golden fixtures', () => {
  if (process.env.QUIVER_UPDATE_FIXTURES === '1') {
    mkdirSync(dirname(fixture), { recursive: true });
    writeFileSync(fixture, goldenIndex().toBytes());
  }

  it('v1.0 loads with the stored rows, tombstones and metric', () => {
    expect(existsSync(fixture)).toBe(true);
    const index = loadFlatIndex(new Uint8Array(readFileSync(fixture)), { kernels: 'js' });
    expect([index.metric, index.dim, index.size, index.slotCount]).toEqual(['l2', 3, 4, 5]);
    expect(index.isRemoved(3)).toBe(true);
    expect([...index.reconstruct(4)]).toEqual([-1, -1, -1]);
    const result = index.search(new Float32Array([0, 0, 2.9]), 2);
    expect([...result.slots]).toEqual([0, 1]);
    index.dispose();
  });

  it('the current writer still produces the v1.0 bytes', () => {
    const index = goldenIndex();
    expect(index.toBytes()).toEqual(new Uint8Array(readFileSync(fixture)));
    index.dispose();
  });
});
