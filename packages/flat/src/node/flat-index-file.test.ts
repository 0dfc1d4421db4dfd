import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptFileError } from '@quiver/core-math';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex } from '../flat-index.js';
import { loadFlatIndexFile, saveFlatIndex, saveFlatIndexSync } from './flat-index-file.js';

describe('FlatIndex files (Node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-flat-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saves atomically and loads an identical index', async () => {
    const index = new FlatIndex({ dim: 3, metric: 'dot', kernels: 'js' });
    index.add(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    index.remove(1);
    const path = join(dir, 'index.quiver');
    await saveFlatIndex(index, path);
    saveFlatIndexSync(index, join(dir, 'sync.quiver'));
    await saveFlatIndex(index, path); // overwrite in place
    expect(readdirSync(dir).sort()).toEqual(['index.quiver', 'sync.quiver']); // no temporary files left behind
    const loaded = await loadFlatIndexFile(path, { kernels: 'js' });
    expect(loaded.toBytes()).toEqual(index.toBytes());
    const fromSync = await loadFlatIndexFile(join(dir, 'sync.quiver'));
    expect(fromSync.toBytes()).toEqual(index.toBytes());
    fromSync.dispose();
    const query = new Float32Array([1, 1, 1]);
    expect(loaded.search(query, 3)).toEqual(index.search(query, 3));
    index.dispose();
    loaded.dispose();
  });

  it('rejects a corrupt file with CorruptFileError', async () => {
    const path = join(dir, 'bad.quiver');
    writeFileSync(path, new Uint8Array([0x51, 0x55, 0x49, 0x56, 0x45, 0x52, 0, 1, 1, 0]));
    await expect(loadFlatIndexFile(path)).rejects.toThrow(CorruptFileError);
  });
});
