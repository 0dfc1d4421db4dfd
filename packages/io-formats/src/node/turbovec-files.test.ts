import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concatBytes } from '../bytes.js';
import { decodeTurbovec, encodeTurbovecV7 } from '../turbovec/codec.js';
import type { TurbovecParts } from '../turbovec/parts.js';
import type { TurbovecWrite } from '../turbovec/sync-plan.js';
import { readTurbovecFile, syncTurbovecFile, writeTurbovecFile, type TurbovecFileLayer } from './turbovec-files.js';
import { append, content, makeParts, swapRemove } from '../../test/turbovec/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'quiver-turbovec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Crash extends Error {}

/** An in-memory file system whose writes stop ("the power fails") after `budget` bytes. */
class MemoryLayer implements TurbovecFileLayer {
  files = new Map<string, Uint8Array>();
  budget = Infinity;
  written = 0;
  /** Which positioned writes of a batch to apply (models a disk persisting a batch out of order). */
  filter: (write: TurbovecWrite, index: number) => boolean = () => true;

  clone(): MemoryLayer {
    const copy = new MemoryLayer();
    for (const [k, v] of this.files) copy.files.set(k, v.slice());
    return copy;
  }
  async read(path: string) {
    return this.files.get(path)?.slice();
  }
  async replace(path: string, chunks: Iterable<Uint8Array>) {
    const data = concatBytes([...chunks]);
    if (this.budget <= 0) throw new Crash('before rename');
    this.budget -= 1; // the rename is one atomic step
    this.files.set(path, data);
  }
  async writeBatch(path: string, writes: readonly TurbovecWrite[]) {
    let file = this.files.get(path)!;
    for (const [index, { offset, bytes }] of writes.entries()) {
      if (offset + bytes.length > file.length) {
        const grown = new Uint8Array(offset + bytes.length);
        grown.set(file);
        file = grown;
        this.files.set(path, file);
      }
      // A filtered-out write models data the disk never persisted (its extent reads as zeros).
      if (!this.filter({ offset, bytes }, index)) continue;
      for (let i = 0; i < bytes.length; i++) {
        if (this.budget <= 0) {
          this.files.set(path, file);
          throw new Crash('mid-write');
        }
        file[offset + i] = bytes[i]!;
        this.budget -= 1;
        this.written += 1;
      }
      this.files.set(path, file);
    }
  }
}

/** A history of index states: appends, removals (turbovec's swap_remove), rewrites of rows. */
function history(): TurbovecParts[] {
  const states: TurbovecParts[] = [];
  let p = makeParts({ dim: 16, bitWidth: 4, count: 70, idMapped: true, calibrated: true, seed: 1 });
  states.push(p);
  p = append(p, 45, 2); // 115 rows: two new whole blocks and a longer tail
  states.push(p);
  p = swapRemove(swapRemove(p, 3), 40); // holes inside committed blocks -> redo ops
  states.push(p);
  p = swapRemove(p, 70); // touches another block; the earlier ops materialize
  states.push(p);
  for (let i = 0; i < 40; i++) p = swapRemove(p, i % 2 === 0 ? 5 : p.count - 1); // shrink below a block edge
  states.push(p);
  p = append(p, 70, 3);
  states.push(p);
  return states;
}

describe('writeTurbovecFile / readTurbovecFile', () => {
  it('writes the v7 snapshot bytes atomically and reads them back', async () => {
    const parts = makeParts({ dim: 32, bitWidth: 3, count: 77, idMapped: true, calibrated: true });
    const path = join(dir, 'snap.tvim');
    await writeTurbovecFile(path, parts);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodeTurbovecV7(parts)))).toBe(true);
    expect(content(await readTurbovecFile(path))).toEqual(content(parts));
    await writeTurbovecFile(join(dir, 'snap.tv'), parts, { format: 'simple', idMap: false });
    expect(content(await readTurbovecFile(join(dir, 'snap.tv')))).toEqual(content({ ...parts, ids: undefined, calibration: undefined }));
  });
});

describe('syncTurbovecFile', () => {
  it('appends and removes incrementally on a real file, and every state loads', async () => {
    const path = join(dir, 'synced.tvim');
    const states = history();
    const first = await syncTurbovecFile(path, states[0]!);
    expect(first).toMatchObject({ mode: 'full', reason: 'missing', blocksWritten: 2 });
    expect(decodeTurbovec(new Uint8Array(readFileSync(path))).origin?.nonce).not.toBe(0n);
    const results = [];
    for (const state of states.slice(1)) {
      results.push(await syncTurbovecFile(path, state));
      expect(content(await readTurbovecFile(path))).toEqual(content(state));
    }
    expect(results.map((r) => r.mode)).toEqual(['incremental', 'incremental', 'incremental', 'incremental', 'incremental']);
    expect(results[0]).toMatchObject({ blocksWritten: 1, opsCarried: 0, generation: 1n }); // block 2 appended; 3 rows in the tail
    expect(results[1]).toMatchObject({ blocksWritten: 0, opsCarried: 2 }); // two holes ride the header as redo ops
    // Blocks 0 and 1 hold only the previous header's ops: rewritten whole. Block 2's new hole rides the header.
    expect(results[2]).toMatchObject({ blocksWritten: 2, opsCarried: 1 });
    // A sync writes far less than the file holds.
    const size = statSync(path).size;
    for (const r of results) expect(r.bytesWritten).toBeLessThan(size / 4);
    expect(await syncTurbovecFile(path, states.at(-1)!)).toMatchObject({ mode: 'unchanged' });
  });

  it('rewrites the whole file when it must', async () => {
    const path = join(dir, 'full.tv');
    const parts = makeParts({ dim: 8, bitWidth: 2, count: 40, calibrated: true });
    await writeTurbovecFile(path, parts); // an unclaimed snapshot
    expect(await syncTurbovecFile(path, parts)).toMatchObject({ mode: 'full', reason: 'unclaimed' });
    expect(await syncTurbovecFile(path, parts)).toMatchObject({ mode: 'unchanged' });
    const recalibrated = { ...parts, calibration: { shift: parts.calibration!.shift.map((v) => v + 0.001), scale: parts.calibration!.scale } };
    expect(await syncTurbovecFile(path, recalibrated)).toMatchObject({ mode: 'full', reason: 'geometry' });
    writeFileSync(path, 'not an index');
    expect(await syncTurbovecFile(path, parts)).toMatchObject({ mode: 'full', reason: 'not-v7' });
    const big = makeParts({ dim: 8, bitWidth: 2, count: 2200, seed: 3 });
    await syncTurbovecFile(path, big);
    const changed = { ...big, scales: big.scales.map((v) => v * 2) };
    expect(await syncTurbovecFile(path, changed)).toMatchObject({ mode: 'full', reason: 'ops-capacity' });
    expect(content(await readTurbovecFile(path))).toEqual(content(changed));
  });

  it('leaves the old or the new state after a crash at any byte of any sync, and recovers', async () => {
    const states = history();
    const base = new MemoryLayer();
    await syncTurbovecFile('f', states[0]!, { fileLayer: base });
    let cuts = 0;
    for (let i = 1; i < states.length; i++) {
      const before = content(states[i - 1]!);
      const after = content(states[i]!);
      const probe = base.clone();
      await syncTurbovecFile('f', states[i]!, { fileLayer: probe });
      const total = probe.written;
      expect(total).toBeGreaterThan(0);
      for (let cut = 0; cut < total; cut += cut < 64 || total - cut < 64 ? 1 : 7) {
        const layer = base.clone();
        layer.budget = cut;
        await expect(syncTurbovecFile('f', states[i]!, { fileLayer: layer })).rejects.toThrow(Crash);
        const loaded = decodeTurbovec(layer.files.get('f')!);
        expect([before, after]).toContainEqual(content(loaded));
        // Recovery: the next sync from whatever the crash left reaches the new state.
        layer.budget = Infinity;
        await syncTurbovecFile('f', states[i]!, { fileLayer: layer });
        expect(content(decodeTurbovec(layer.files.get('f')!))).toEqual(after);
        cuts++;
      }
      await syncTurbovecFile('f', states[i]!, { fileLayer: base });
    }
    expect(cuts).toBeGreaterThan(300);
  });

  it('detects a commit header that reached the disk before its data (reordered persistence)', async () => {
    const states = history();
    const layer = new MemoryLayer();
    await syncTurbovecFile('f', states[0]!, { fileLayer: layer });
    // Persist only the last write of the batch: the header, without the appended block.
    layer.filter = (_w, index) => index === 1;
    await syncTurbovecFile('f', states[1]!, { fileLayer: layer });
    const loaded = decodeTurbovec(layer.files.get('f')!);
    expect(content(loaded)).toEqual(content(states[0]!));
    expect(loaded.origin?.fellBack).toBe(true);
    // The rejected header sits in the slot the next sync writes: it is wiped first.
    layer.filter = () => true;
    const again = await syncTurbovecFile('f', states[1]!, { fileLayer: layer });
    expect(again.mode).toBe('incremental');
    const reloaded = decodeTurbovec(layer.files.get('f')!);
    expect(content(reloaded)).toEqual(content(states[1]!));
    expect(reloaded.origin?.fellBack).toBe(false);
  });
});
