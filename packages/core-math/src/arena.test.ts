import { describe, expect, it } from 'vitest';
import { Arena } from './arena.js';
import { CapacityError, InvalidArgumentError, UnsupportedOperationError } from './errors.js';
import { SeededRandom } from './random.js';

describe('Arena', () => {
  it('hands out aligned, non-overlapping blocks and reuses freed space', () => {
    const arena = new Arena({ initialBytes: 65536 });
    const rng = new SeededRandom(3);
    const live: { ptr: number; byteLength: number; tag: number }[] = [];
    for (let step = 0; step < 2000; step++) {
      if (live.length > 0 && rng.nextFloat() < 0.45) {
        const [block] = live.splice(rng.nextInt(live.length), 1);
        // The block still holds its tag: nobody else wrote into it.
        expect(arena.u8(block!.ptr, block!.byteLength).every((b) => b === block!.tag)).toBe(true);
        arena.free(block!);
      } else {
        const size = 1 + rng.nextInt(5000);
        const block = arena.alloc(size);
        expect(block.ptr % 64).toBe(0);
        expect(block.byteLength).toBeGreaterThanOrEqual(size);
        const tag = 1 + (step % 250);
        arena.u8(block.ptr, block.byteLength).fill(tag);
        live.push({ ...block, tag });
      }
    }
    const total = live.reduce((sum, b) => sum + b.byteLength, 0);
    expect(arena.bytesInUse).toBe(total);
    for (const block of live) arena.free(block);
    expect(arena.bytesInUse).toBe(0);
    // Everything coalesced back: a block as large as all of it fits without growing.
    const before = arena.byteLength;
    arena.free(arena.alloc(before - 128));
    expect(arena.byteLength).toBe(before);
  });

  it('grows, keeps data across growth and realloc, and reports its views as its own', () => {
    const arena = new Arena({ initialBytes: 65536 });
    const block = arena.alloc(1000);
    arena.u8(block.ptr, 1000).fill(7);
    const view = arena.f32(block.ptr, 4);
    const big = arena.alloc(10 << 20);
    expect(arena.byteLength).toBeGreaterThanOrEqual(10 << 20);
    expect(arena.owns(view)).toBe(true);
    expect(arena.owns(new Float32Array(4))).toBe(false);
    const moved = arena.realloc(block, 5000);
    expect(arena.u8(moved.ptr, 1000).every((b) => b === 7)).toBe(true);
    arena.free(big);
    arena.free(moved);
  });

  it('refuses bad sizes, allocations past its maximum, and allocation when attached', () => {
    const arena = new Arena({ initialBytes: 65536, maximumBytes: 1 << 20 });
    expect(() => arena.alloc(-1)).toThrow(InvalidArgumentError);
    expect(() => arena.alloc(2 << 20)).toThrow(CapacityError);
    if (arena.memory) {
      const attached = Arena.attach(arena.memory);
      expect(() => attached.alloc(8)).toThrow(UnsupportedOperationError);
    }
  });
});
