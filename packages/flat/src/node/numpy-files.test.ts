import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPythonWithNumpy } from '@quiver/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { NumpyAnnIndex } from '../numpy-ann-index.js';
import { NumpyVectorStore } from '../numpy-vector-store.js';
import { loadNumpyAnnIndexFile, openNumpyVectorStore, resolveNpzPath, saveNumpyAnnIndex, saveNumpyVectorStore } from './numpy-files.js';

const pythonPath = findPythonWithNumpy();
const hasNumpy = pythonPath !== undefined;
if (!hasNumpy && process.env.CI) throw new Error('python3 with numpy is required in CI for the numpy interop tests');

function python(script: string, ...args: string[]): string {
  const run = spawnSync(pythonPath ?? 'python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return run.stdout.trim();
}

describe('numpy-format files (Node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-numpy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saves a store atomically, appending .npz like the library, and opens it again', async () => {
    const store = new NumpyVectorStore<{ id: number }>({ dimensions: 2, kernels: 'js' });
    store.add([[1, 0], [0, 2]], [{ id: 1 }, { id: 2 }]);
    expect(resolveNpzPath('a/vectors')).toBe('a/vectors.npz');
    expect(resolveNpzPath('a/vectors.npz')).toBe('a/vectors.npz');
    const written = await saveNumpyVectorStore(store, join(dir, 'store'));
    expect(written).toBe(join(dir, 'store.npz'));
    expect(readdirSync(dir)).toEqual(['store.npz']);
    const opened = await openNumpyVectorStore<{ id: number }>(join(dir, 'store'), { kernels: 'js' });
    expect(opened.cosineSearch([0, 1])).toEqual(store.cosineSearch([0, 1]));
    expect(opened.metadata).toEqual([{ id: 1 }, { id: 2 }]);
    store.dispose();
    opened.dispose();
  });

  it('saves and loads NumpyAnnIndex as .npy and safetensors, recognizing the format', async () => {
    const index = new NumpyAnnIndex({ quantize: 1, kernels: 'js' });
    index.index([[1, -1, 1], [-1, 1, 1], [1, 1, 1]]);
    index.delete([1]);
    for (const format of ['npy', 'safetensors'] as const) {
      const path = join(dir, `ann.${format}`);
      await saveNumpyAnnIndex(index, path, format);
      const loaded = await loadNumpyAnnIndexFile(path, { quantize: 1, dim: 3, kernels: 'js' });
      expect(loaded.search([[1, 1, 1]], 3)).toEqual(index.search([[1, 1, 1]], 3));
      loaded.dispose();
    }
    index.dispose();
  });

  it.skipIf(!hasNumpy)('numpy reads what Quiver wrote, and Quiver reads what numpy wrote', async () => {
    const store = new NumpyVectorStore<unknown>({ dimensions: 3, normalize: false, kernels: 'js' });
    store.add([[3, 4, 0], [0, 0, 0]], [{ title: 'a' }, ['b', 2]]);
    const storePath = await saveNumpyVectorStore(store, join(dir, 'interop'));
    const seen = python(
      `import json, sys, numpy as np
d = np.load(sys.argv[1])
print(json.dumps([int(d["format_version"]), int(d["dimensions"]), bool(d["normalize"]), str(d["vectors"].dtype), d["vectors"].tolist(), json.loads(d["metadata_json"].tobytes())]))`,
      storePath,
    );
    expect(JSON.parse(seen)).toEqual([1, 3, false, 'float32', [[3, 4, 0], [0, 0, 0]], [{ title: 'a' }, ['b', 2]]]);

    const fromNumpy = join(dir, 'from-numpy.npz');
    python(
      `import json, sys, numpy as np
meta = np.frombuffer(json.dumps([{"k": 1}, {"k": 2}]).encode(), dtype=np.uint8)
np.savez_compressed(sys.argv[1], format_version=np.array(1, dtype=np.int64), dimensions=np.array(2, dtype=np.int64),
  normalize=np.array(True), vectors=np.array([[3, 4], [1, 0]], dtype=np.float32), metadata_json=meta)`,
      fromNumpy,
    );
    const opened = await openNumpyVectorStore(fromNumpy, { kernels: 'js' });
    expect(opened.get(0)).toEqual({ vector: new Float32Array([0.6, 0.8]), metadata: { k: 1 } });

    // txtai's NumPy backend saves its array with np.save; a zeroed row is a deleted one.
    const txtaiPath = join(dir, 'txtai.npy');
    python(`import sys, numpy as np
np.save(sys.argv[1], np.array([[0.6, 0.8], [0, 0], [1, 0]], dtype=np.float32))`, txtaiPath);
    const ann = await loadNumpyAnnIndexFile(txtaiPath, { kernels: 'js' });
    expect(ann.count()).toBe(2);
    expect(ann.search([[1, 0]], 5)[0]!.map(([id]) => id)).toEqual([2, 0]);
    await saveNumpyAnnIndex(ann, join(dir, 'back.npy'));
    expect(python(`import sys, numpy as np
print(np.load(sys.argv[1]).tolist())`, join(dir, 'back.npy'))).toBe('[[0.6000000238418579, 0.800000011920929], [0.0, 0.0], [1.0, 0.0]]');
    expect(existsSync(join(dir, 'back.npy'))).toBe(true);
    store.dispose();
    opened.dispose();
    ann.dispose();
  });
});
