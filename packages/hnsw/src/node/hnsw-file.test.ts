import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptFileError } from '@quiver/core-math';
import { encodeNpy } from '@quiver/io-formats';
import { gaussianMixture } from '@quiver/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { HnswIndex } from '../hnsw-index.js';
import { loadHnswIndexFile, saveHnswIndex } from './hnsw-file.js';
import { DenseFlatIndex, DensePlainHNSW } from './kannolo-files.js';

const dir = mkdtempSync(join(tmpdir(), 'quiver-hnsw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DIM = 16;
const data = gaussianMixture({ n: 400, dim: DIM, clusters: 4, seed: 2 });

describe('HNSW files', () => {
  it('saveHnswIndex → loadHnswIndexFile round-trips; a damaged file is refused', async () => {
    const index = new HnswIndex({ dim: DIM, storage: 'float16' });
    index.add(data);
    const path = join(dir, 'index.qvr');
    await saveHnswIndex(index, path);
    const loaded = await loadHnswIndexFile(path);
    expect(loaded.search(data.subarray(0, 4 * DIM), 5)).toEqual(index.search(data.subarray(0, 4 * DIM), 5));
    const bytes = readFileSync(path);
    bytes[bytes.length - 10]! ^= 0xff;
    writeFileSync(path, bytes);
    await expect(loadHnswIndexFile(path)).rejects.toThrow(CorruptFileError);
    index.dispose();
    loaded.dispose();
  });

  it('kANNolo entry points build from .npy and save/load', () => {
    const npy = join(dir, 'data.npy');
    writeFileSync(npy, encodeNpy({ dtype: 'float32', shape: [400, DIM], data }));
    const index = DensePlainHNSW.buildFromFile(npy, { m: 8, metric: 'l2' });
    const path = join(dir, 'plain.qvr');
    index.save(path);
    const loaded = DensePlainHNSW.load(path);
    const query = data.subarray(7 * DIM, 8 * DIM);
    expect(loaded.search(query, 3)).toEqual(index.search(query, 3));
    expect(loaded.search(query, 1).ids[0]).toBe(7);
    const flat = DenseFlatIndex.buildFromFile(npy, { metric: 'euclidean' });
    expect(flat.search(query, 1).ids[0]).toBe(7);
    for (const i of [index, loaded, flat]) i.dispose();
  });
});
