import { SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { IdSlotTable, hashPair } from './id-slot-table.js';

describe('IdSlotTable', () => {
  it('inserts, finds, updates and deletes', () => {
    const table = new IdSlotTable();
    expect(table.get(1, 0)).toBe(-1);
    expect(table.insert(1, 0, 10)).toBe(true);
    expect(table.insert(1, 0, 11)).toBe(false);
    expect(table.get(1, 0)).toBe(10);
    expect(table.get(1, 1)).toBe(-1);
    expect(table.update(1, 0, 12)).toBe(true);
    expect(table.update(2, 0, 12)).toBe(false);
    expect(table.get(1, 0)).toBe(12);
    expect(table.delete(1, 0)).toBe(12);
    expect(table.delete(1, 0)).toBe(-1);
    expect(table.size).toBe(0);
  });

  it('agrees with a Map under a long random mix of operations (deletions shift probe runs back)', () => {
    const random = new SeededRandom(7);
    const table = new IdSlotTable();
    const model = new Map<string, number>();
    // A small key space forces long probe runs, collisions and re-insertion after deletion.
    for (let step = 0; step < 30_000; step++) {
      const lo = random.nextInt(3000);
      const hi = random.nextInt(3);
      const key = `${lo}:${hi}`;
      const op = random.nextInt(3);
      if (op === 0) {
        expect(table.insert(lo, hi, step)).toBe(!model.has(key));
        if (!model.has(key)) model.set(key, step);
      } else if (op === 1) {
        expect(table.delete(lo, hi)).toBe(model.get(key) ?? -1);
        model.delete(key);
      } else {
        expect(table.get(lo, hi)).toBe(model.get(key) ?? -1);
      }
    }
    expect(table.size).toBe(model.size);
    for (const [key, slot] of model) {
      const [lo, hi] = key.split(':').map(Number) as [number, number];
      expect(table.get(lo, hi)).toBe(slot);
    }
  });

  it('grows past its initial capacity and keeps every entry', () => {
    const table = new IdSlotTable(4);
    for (let i = 0; i < 10_000; i++) table.insert(i * 7919, i & 1, i);
    for (let i = 0; i < 10_000; i++) expect(table.get(i * 7919, i & 1)).toBe(i);
    expect(table.byteLength).toBeLessThanOrEqual(32768 * 12);
  });

  it('spreads ids whose low half is constant (shard << 32 | 0) over the buckets', () => {
    const mask = (1 << 14) - 1;
    const buckets = new Set<number>();
    for (let hi = 0; hi < 4096; hi++) buckets.add(hashPair(0, hi) & mask);
    // A uniform hash puts 4096 keys into about 3.6k of 16k buckets; a weak one into a handful.
    expect(buckets.size).toBeGreaterThan(3400);
  });
});
