import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlatIndex, loadFlatIndex } from '@quiver/flat';
import { gaussianMixture } from '@quiver/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { IdMapIndex } from '../id-map-index.js';
import { loadIdMapIndexFile, saveIdMapIndex } from './id-map-file.js';

const dir = mkdtempSync(join(tmpdir(), 'quiver-idmap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('saveIdMapIndex / loadIdMapIndexFile', () => {
  it('writes atomically, replaces an older file and reads it back', async () => {
    const path = join(dir, 'index.qvr');
    const index = new IdMapIndex(new FlatIndex({ dim: 4, kernels: 'js' }));
    index.addWithIds(gaussianMixture({ n: 10, dim: 4 }), Array.from({ length: 10 }, (_, i) => 2n ** 60n + BigInt(i)));
    await saveIdMapIndex(index, path);
    index.remove(2n ** 60n + 3n);
    const saving = saveIdMapIndex(index, path);
    // The content was taken when the save started.
    index.addWithIds(gaussianMixture({ n: 1, dim: 4, seed: 5 }), [1]);
    await saving;
    const loaded = await loadIdMapIndexFile(path, (bytes) => loadFlatIndex(bytes, { kernels: 'js' }));
    expect(loaded.size).toBe(9);
    expect(loaded.contains(2n ** 60n + 3n)).toBe(false);
    expect(loaded.contains(1)).toBe(false);
    expect(readdirSync(dir)).toEqual(['index.qvr']);
  });

  it('leaves no temporary file behind when the save fails', async () => {
    const index = new IdMapIndex(new FlatIndex({ dim: 4, kernels: 'js' }));
    await expect(saveIdMapIndex(index, join(dir, 'missing', 'x.qvr'))).rejects.toThrow();
    await expect(saveIdMapIndex(index, '')).rejects.toThrow(/path/);
    expect(readdirSync(dir)).toEqual(['index.qvr']);
  });
});
