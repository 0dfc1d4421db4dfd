import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadHnswIndex } from './hnsw-codec.js';
import { HnswIndex } from './hnsw-index.js';

/**
 * Golden fixtures: one committed file per released HNSW format version. Old versions must keep
 * loading forever. Regenerate the current one only on purpose: QUIVER_UPDATE_FIXTURES=1 npx vitest run.
 */
const fixture = fileURLToPath(new URL('../test/fixtures/v1.0/hnsw-l2-int8-40x5.quiver', import.meta.url));

function goldenIndex(): HnswIndex {
  const index = new HnswIndex({ dim: 5, metric: 'l2', M: 2, efConstruction: 8, seed: 1, storage: 'int8', rerankStorage: 'float32', kernels: 'js' });
  const rows = new Float32Array(40 * 5);
  for (let i = 0; i < rows.length; i++) rows[i] = Math.sin(i * 0.7) * (1 + (i % 5));
  index.add(rows);
  index.remove(6);
  return index;
}

describe('HNSW golden fixtures', () => {
  if (process.env.QUIVER_UPDATE_FIXTURES === '1') {
    mkdirSync(dirname(fixture), { recursive: true });
    writeFileSync(fixture, goldenIndex().toBytes());
  }

  it('v1.0 loads with its parameters, levels, tombstones and rerank rows', () => {
    expect(existsSync(fixture)).toBe(true);
    const index = loadHnswIndex(new Uint8Array(readFileSync(fixture)), { kernels: 'js' });
    expect([index.metric, index.dim, index.size, index.slotCount, index.storageName, index.rerankStorageName]).toEqual(['l2', 5, 39, 40, 'int8', 'float32']);
    expect(index.params).toMatchObject({ M: 2, efConstruction: 8, seed: 1 });
    expect(index.isRemoved(6)).toBe(true);
    const query = index.rerankStorage!.reconstruct(12);
    expect(index.search(query, 1, { rerank: 8 }).slots[0]).toBe(12);
    index.dispose();
  });

  it('the current writer still produces the v1.0 bytes', () => {
    const index = goldenIndex();
    expect(index.toBytes()).toEqual(new Uint8Array(readFileSync(fixture)));
    index.dispose();
  });
});
