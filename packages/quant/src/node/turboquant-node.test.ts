import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlotList } from '@quiver/core-math';
import { gaussianMixture } from '@quiver/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { TurboQuantIndex } from '../turboquant/index/turboquant-index.js';
import { loadTurboQuantIndex, syncTurboQuantIndex, writeTurboQuantIndex } from './turboquant-files.js';
import { TurboQuantPool } from './turboquant-pool.js';

const dim = 64;
const vectors = gaussianMixture({ n: 3000, dim, clusters: 8, seed: 2 });
const queries = gaussianMixture({ n: 9, dim, clusters: 8, seed: 2, sampleSeed: 5 });

describe('TurboQuantIndex files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-tq-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes, loads and syncs turbovec v7 files by path', async () => {
    const index = new TurboQuantIndex({ dim, metric: 'l2' });
    index.add(vectors.subarray(0, 2000 * dim));
    const path = join(dir, 'index.tv');
    await writeTurboQuantIndex(index, path);
    const loaded = await loadTurboQuantIndex(path, { metric: 'l2' });
    expect(loaded.search(queries, 10)).toEqual(index.search(queries, 10));
    // The first sync claims the file (a full rewrite); later ones write only what changed.
    await syncTurboQuantIndex(index, path);
    const size = statSync(path).size;
    index.add(vectors.subarray(2000 * dim, 2100 * dim));
    index.swapRemove(5);
    const synced = await syncTurboQuantIndex(index, path);
    expect(synced.mode).toBe('incremental');
    expect(synced.bytesWritten).toBeLessThan(size / 4);
    const reloaded = await loadTurboQuantIndex(path, { metric: 'l2' });
    expect(reloaded.packedCodes()).toEqual(index.packedCodes());
  });
});

describe('TurboQuantPool', () => {
  const pool = new TurboQuantPool({ threads: 2 });
  afterAll(() => pool.close());

  it('gives the results of a search on the calling thread, split by queries or by blocks', async () => {
    const index = new TurboQuantIndex({ dim, originals: 'float32' });
    index.add(vectors);
    for (const count of [1, 9]) {
      const qs = queries.subarray(0, count * dim);
      const options = { filter: new SlotList([...Array(3000).keys()].filter((s) => s % 5 !== 0)) };
      const expected = index.search(qs, 10, { ...options, earlyExit: false });
      expect(await index.searchAsync(qs, 10, { ...options, earlyExit: false, executor: pool })).toEqual(expected);
      const reranked = index.search(qs, 10, { rerank: true, earlyExit: false });
      expect(await index.searchAsync(qs, 10, { rerank: true, earlyExit: false, executor: pool })).toEqual(reranked);
    }
    // Grouped rows (prepare) give every query its own scan order, which a split must carry along.
    index.prepare();
    for (const count of [1, 9]) {
      const qs = queries.subarray(0, count * dim);
      expect(await index.searchAsync(qs, 10, { executor: pool })).toEqual(index.search(qs, 10));
      expect(await index.searchAsync(qs, 10, { earlyExit: false, executor: pool })).toEqual(index.search(qs, 10, { earlyExit: false }));
    }
    const pending = index.searchAsync(queries, 5, { executor: pool });
    expect(() => index.add(vectors.subarray(0, dim))).toThrow();
    await pending;
  });
});
