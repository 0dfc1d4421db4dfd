import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PqStorage, ProductQuantizer } from '@quiver/pq';
import { describe, expect, it } from 'vitest';
import { loadHnswIndex } from './hnsw-codec.js';
import { HnswIndex } from './hnsw-index.js';

/**
 * Golden fixtures: one committed file per released HNSW format version. Old versions must keep
 * loading forever. Regenerate the current ones only on purpose: QUIVER_UPDATE_FIXTURES=1 npx vitest run.
 */
const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const V10_INT8 = fixture('v1.0/hnsw-l2-int8-40x5.quiver');
const V11_INT8 = fixture('v1.1/hnsw-l2-int8-40x5.quiver');
const V11_PQ = fixture('v1.1/hnsw-dot-pq4-64x8.quiver');

function goldenIndex(): HnswIndex {
  const index = new HnswIndex({ dim: 5, metric: 'l2', M: 2, efConstruction: 8, seed: 1, storage: 'int8', rerankStorage: 'float32', kernels: 'js' });
  const rows = new Float32Array(40 * 5);
  for (let i = 0; i < rows.length; i++) rows[i] = Math.sin(i * 0.7) * (1 + (i % 5));
  index.add(rows);
  index.remove(6);
  return index;
}

/** A PQ-HNSW (4 subspaces × 16 centroids, fixed codebooks) with a float32 rerank copy. */
function goldenPqIndex(): { index: HnswIndex; quantizer: ProductQuantizer } {
  const index = new HnswIndex({ dim: 8, metric: 'dot', M: 3, efConstruction: 10, seed: 2, kernels: 'js' });
  const rows = new Float32Array(64 * 8);
  for (let i = 0; i < rows.length; i++) rows[i] = Math.cos(i * 0.37) * (1 + (i % 3));
  index.add(rows);
  index.remove(9);
  const quantizer = new ProductQuantizer({ dim: 8, M: 4, nbits: 4, metric: 'dot', kernels: 'js' });
  const codebooks = new Float32Array(4 * 16 * 2);
  for (let i = 0; i < codebooks.length; i++) codebooks[i] = Math.sin(i * 1.3) * 2;
  quantizer.setCentroids(codebooks);
  const codes = new PqStorage({ quantizer });
  codes.append(rows);
  index.swapStorage(codes, { keepAsRerank: true });
  return { index, quantizer };
}

describe('HNSW golden fixtures', () => {
  if (process.env.QUIVER_UPDATE_FIXTURES === '1') {
    mkdirSync(dirname(V11_PQ), { recursive: true });
    writeFileSync(V11_INT8, goldenIndex().toBytes());
    writeFileSync(V11_PQ, goldenPqIndex().index.toBytes());
  }

  it('v1.0 and v1.1 load with their parameters, levels, tombstones and rerank rows', () => {
    for (const path of [V10_INT8, V11_INT8]) {
      expect(existsSync(path)).toBe(true);
      const index = loadHnswIndex(new Uint8Array(readFileSync(path)), { kernels: 'js' });
      expect([index.metric, index.dim, index.size, index.slotCount, index.storageName, index.rerankStorageName]).toEqual(['l2', 5, 39, 40, 'int8', 'float32']);
      expect(index.params).toMatchObject({ M: 2, efConstruction: 8, seed: 1 });
      expect(index.isRemoved(6)).toBe(true);
      const query = index.rerankStorage!.reconstruct(12);
      expect(index.search(query, 1, { rerank: 8 }).slots[0]).toBe(12);
      // A 1.0 file re-saves as the 1.1 file: 1.1 only added PQ storage.
      expect(Buffer.compare(index.toBytes(), readFileSync(V11_INT8))).toBe(0);
      index.dispose();
    }
  });

  it('v1.1 PQ storage loads its codebooks, codes and rerank rows', () => {
    const index = loadHnswIndex(new Uint8Array(readFileSync(V11_PQ)), { kernels: 'js' });
    expect(index.storage).toBeInstanceOf(PqStorage);
    const pq = index.storage as PqStorage;
    expect([pq.quantizer.M, pq.quantizer.nbits, pq.quantizer.metric, index.size, index.rerankStorageName]).toEqual([4, 4, 'dot', 63, 'float32']);
    expect(pq.quantizer.centroids()[5]).toBeCloseTo(Math.sin(5 * 1.3) * 2, 6);
    const query = index.rerankStorage!.reconstruct(20);
    expect(index.search(query, 1, { rerank: 16, efSearch: 32 }).slots[0]).toBe(20);
    index.dispose();
  });

  it('the current writer still produces the v1.1 bytes', () => {
    const index = goldenIndex();
    expect(Buffer.compare(index.toBytes(), readFileSync(V11_INT8))).toBe(0);
    index.dispose();
    const pq = goldenPqIndex();
    expect(Buffer.compare(pq.index.toBytes(), readFileSync(V11_PQ))).toBe(0);
    pq.index.dispose();
    pq.quantizer.dispose();
  });
});
