import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptFileError } from '@quiver/core-math';
import { gaussianMixture } from '@quiver/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { IvfIndex } from '../ivf-index.js';
import { loadIvfIndexFile, saveIvfIndex } from './ivf-index-file.js';

describe('saveIvfIndex / loadIvfIndexFile', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically and loads an index that answers identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quiver-ivf-'));
    dirs.push(dir);
    const dim = 16;
    const data = gaussianMixture({ n: 500, dim, clusters: 5, seed: 2 });
    const index = new IvfIndex({ dim, metric: 'cosine', nlist: 10, storage: 'pq', M: 8, nbits: 4 });
    index.train(data);
    index.add(data);
    const path = join(dir, 'index.quiver');
    await saveIvfIndex(index, path);
    expect(await readdir(dir)).toEqual(['index.quiver']); // no temporary file left behind
    const loaded = await loadIvfIndexFile(path);
    expect(loaded.search(data.subarray(0, 5 * dim), 7)).toEqual(index.search(data.subarray(0, 5 * dim), 7));
    await writeFile(path, new Uint8Array(100));
    await expect(loadIvfIndexFile(path)).rejects.toBeInstanceOf(CorruptFileError);
    index.dispose();
    loaded.dispose();
  });
});
