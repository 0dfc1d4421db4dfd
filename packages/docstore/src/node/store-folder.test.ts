import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptFileError, InvalidArgumentError, SeededRandom } from '@quiver/core-math';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentStore } from '../document-store.js';
import type { BackendSpec } from '../types.js';
import { hasSavedDocumentStore, loadDocumentStore, saveDocumentStore, type DocumentStoreFileLayer } from './store-folder.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-docstore-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `store-${dirs++}`);

const DIM = 8;

function randomRows(n: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: n * DIM }, () => random.nextFloat() * 2 - 1);
}

function storeOf(n: number, seed: number, backend: BackendSpec = { kind: 'exact' }): DocumentStore {
  const store = new DocumentStore({ backend });
  store.upsert(
    Array.from({ length: n }, (_, i) => ({ id: `d${seed}-${i}`, text: `seed ${seed} doc ${i}`, metadata: { i, seed } })),
    randomRows(n, seed),
  );
  return store;
}

/** The content a test compares: documents and the vectors, by id. */
function content(store: DocumentStore): unknown {
  return store
    .ids()
    .sort()
    .map((id) => [store.get([id])[0], Array.from(store.vectorOf(id)!)]);
}

class Crash extends Error {}

/**
 * An in-memory file system that "loses power" once `budget` bytes have been written (each remove
 * costs one unit). Replacing the manifest is atomic, as `writeFileAtomic` makes it; with `torn`,
 * the generation files are written in place and a crash leaves a prefix of them, a layer weaker
 * than the real one, to show the manifest alone decides what loads.
 */
class MemoryLayer implements DocumentStoreFileLayer {
  files = new Map<string, Uint8Array>();
  budget = Infinity;
  spent = 0;
  /** `spent` after each completed operation: the boundaries between the steps of a save. */
  marks: number[] = [];
  constructor(readonly torn: boolean) {}

  clone(): MemoryLayer {
    const copy = new MemoryLayer(this.torn);
    for (const [k, v] of this.files) copy.files.set(k, v);
    return copy;
  }
  async read(path: string) {
    return this.files.get(path)?.slice();
  }
  async replace(path: string, chunks: readonly Uint8Array[]) {
    const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      data.set(chunk, at);
      at += chunk.length;
    }
    const affordable = Math.min(this.budget - this.spent, data.length);
    if (affordable < data.length) {
      if (this.torn && !path.endsWith('.json')) this.files.set(path, data.slice(0, affordable));
      this.spent = this.budget;
      throw new Crash(`writing ${path}`);
    }
    this.spent += data.length;
    this.files.set(path, data);
    this.marks.push(this.spent);
  }
  async remove(path: string) {
    if (this.spent >= this.budget) throw new Crash(`removing ${path}`);
    this.spent += 1;
    this.files.delete(path);
    this.marks.push(this.spent);
  }
  async list(directory: string) {
    return [...this.files.keys()].filter((p) => p.startsWith(`${directory}/`)).map((p) => p.slice(directory.length + 1));
  }
  async makeDirectory() {}
}

describe('saveDocumentStore / loadDocumentStore', () => {
  const backends: BackendSpec[] = [{ kind: 'exact' }, { kind: 'turboquant', bitWidth: 3 }, { kind: 'hnsw', m: 8, efConstruction: 32 }];
  for (const backend of backends) {
    it(`round-trips the ${backend.kind} backend through a folder and keeps one generation`, async () => {
      const dir = freshDir();
      expect(await hasSavedDocumentStore(dir)).toBe(false);
      const first = storeOf(50, 1, backend);
      await saveDocumentStore(first, dir);
      expect(await hasSavedDocumentStore(dir)).toBe(true);
      const second = storeOf(80, 2, backend);
      await saveDocumentStore(second, dir);
      expect(readdirSync(dir).sort()).toEqual(['documents-2.qvd', 'index-2.qvi', 'quiver-store.json']);
      const loaded = await loadDocumentStore(dir);
      expect(content(loaded)).toEqual(content(second));
      expect(loaded.backend).toEqual(second.backend);
      const query = randomRows(1, 5);
      expect(loaded.search(query, 5)).toEqual(second.search(query, 5));
      for (const s of [first, second, loaded]) s.dispose();
    });
  }

  it('loads the old or the new state after a crash at any point of a save, and the next save recovers', async () => {
    const before = storeOf(30, 1, { kind: 'turboquant' });
    const after = storeOf(45, 2, { kind: 'turboquant' });
    before.upsert([{ id: 'd1-3', text: 'changed' }], randomRows(1, 9)); // some history
    const states = [content(before), content(after)];
    let tested = 0;
    for (const torn of [false, true]) {
      const base = new MemoryLayer(torn);
      await saveDocumentStore(before, 'dir', { fileLayer: base });
      const probe = base.clone();
      await saveDocumentStore(after, 'dir', { fileLayer: probe });
      const total = probe.spent;
      // Every step boundary and its neighbours, plus points spread through each write.
      const cuts = new Set<number>();
      for (const mark of [0, ...probe.marks]) for (const d of [-2, -1, 0, 1, 2]) cuts.add(Math.min(total, Math.max(0, mark + d)));
      for (let i = 0; i <= 60; i++) cuts.add(Math.floor((total * i) / 60));
      const seen = new Set<number>();
      for (const cut of [...cuts].sort((a, b) => a - b)) {
        const layer = base.clone();
        layer.budget = cut;
        const saved = await saveDocumentStore(after, 'dir', { fileLayer: layer }).then(
          () => true,
          (error: unknown) => {
            if (!(error instanceof Crash)) throw error;
            return false;
          },
        );
        const loaded = await loadDocumentStore('dir', { fileLayer: layer });
        const which = states.findIndex((s) => JSON.stringify(s) === JSON.stringify(content(loaded)));
        expect(which, `cut ${cut}`).toBeGreaterThanOrEqual(0);
        if (saved) expect(which).toBe(1);
        seen.add(which);
        loaded.dispose();
        // Recovery: a save after the crash reaches the new state and leaves one generation.
        layer.budget = Infinity;
        await saveDocumentStore(after, 'dir', { fileLayer: layer });
        expect(content(await loadDocumentStore('dir', { fileLayer: layer }))).toEqual(states[1]);
        expect([...layer.files.keys()].filter((p) => !p.endsWith('.json'))).toHaveLength(2);
        tested++;
      }
      expect([...seen].sort()).toEqual([0, 1]);
    }
    expect(tested).toBeGreaterThan(100);
  });

  it('returns from a failed save only once none of its writes is still running', async () => {
    const layer = new MemoryLayer(false);
    let indexWritten = false;
    const slow: DocumentStoreFileLayer = {
      read: (path) => layer.read(path),
      remove: (path) => layer.remove(path),
      list: (directory) => layer.list(directory),
      makeDirectory: async () => undefined,
      async replace(path, chunks) {
        if (path.endsWith('.qvd')) throw new Crash('the disk is full');
        await new Promise((resolve) => setTimeout(resolve, 20));
        await layer.replace(path, chunks);
        indexWritten = true;
      },
    };
    await expect(saveDocumentStore(storeOf(5, 1), 'dir', { fileLayer: slow })).rejects.toThrow('the disk is full');
    expect(indexWritten).toBe(true);
    expect(await hasSavedDocumentStore('dir', { fileLayer: layer })).toBe(false);
  });

  it('refuses a folder whose files were damaged or swapped', async () => {
    const dir = freshDir();
    await saveDocumentStore(storeOf(40, 1), dir);
    const other = freshDir();
    await saveDocumentStore(storeOf(40, 2), other);
    await saveDocumentStore(storeOf(40, 3), other); // generation 2 there
    const manifest = join(dir, 'quiver-store.json');
    const documents = join(dir, 'documents-1.qvd');
    const index = join(dir, 'index-1.qvi');
    const original = { manifest: readFileSync(manifest), documents: readFileSync(documents), index: readFileSync(index) };
    const restore = () => {
      writeFileSync(manifest, original.manifest);
      writeFileSync(documents, original.documents);
      writeFileSync(index, original.index);
    };
    const damages: [string, () => void][] = [
      ['truncated index', () => truncateSync(index, original.index.length - 100)],
      ['truncated documents', () => truncateSync(documents, 70)],
      ['index of another store', () => writeFileSync(index, readFileSync(join(other, 'index-2.qvi')))],
      ['documents of another store', () => writeFileSync(documents, readFileSync(join(other, 'documents-2.qvd')))],
      ['missing index', () => rmSync(index)],
      ['manifest not JSON', () => writeFileSync(manifest, '{"format":')],
      ['manifest pointing elsewhere', () => writeFileSync(manifest, JSON.stringify({ format: 'quiver-docstore', version: 1, generation: 1, index: '../index-1.qvi', documents: 'documents-1.qvd' }))],
      ['manifest from the future', () => writeFileSync(manifest, JSON.stringify({ format: 'quiver-docstore', version: 2, generation: 1, index: 'index-1.qvi', documents: 'documents-1.qvd' }))],
    ];
    for (const [what, damage] of damages) {
      damage();
      await expect(loadDocumentStore(dir).then(() => what), what).rejects.toThrow(CorruptFileError);
      restore();
    }
    expect((await loadDocumentStore(dir)).size).toBe(40);
    await expect(loadDocumentStore(freshDir())).rejects.toThrow(InvalidArgumentError);
    await expect(loadDocumentStore('')).rejects.toThrow(InvalidArgumentError);
  });
});
