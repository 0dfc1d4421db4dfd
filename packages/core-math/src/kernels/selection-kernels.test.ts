import { describe, expect, it } from 'vitest';
import { Arena } from '../arena.js';
import { SeededRandom } from '../random.js';
import { createJsKernels } from './js-kernels.js';
import type { Kernels } from './types.js';
import { createWasmKernels } from './wasm-kernels.js';

const f32 = Math.fround;

describe.each([
  ['shared', true],
  ['non-shared', false],
])('selection kernels (%s memory)', (_name, shared) => {
  const arena = new Arena({ shared, initialBytes: 4 << 20 });
  const backends: Kernels[] = [createJsKernels(arena), createWasmKernels(arena)];
  const rnd = new SeededRandom(shared ? 5 : 6);

  /** Runs `select` on both backends with a full-size and a short output; checks both against `expected`. */
  function expectSelection(total: number, expected: number[], select: (kernels: Kernels, out: number, capacity: number) => number): void {
    const out = arena.alloc(total * 4 + 64).ptr;
    for (const kernels of backends) {
      arena.u32(out, total + 1).fill(0xdeadbeef);
      expect(select(kernels, out, total)).toBe(expected.length);
      expect(Array.from(arena.u32(out, expected.length))).toEqual(expected);
      // A short output keeps the first `capacity` indices, writes nothing past them, and still counts all.
      const capacity = expected.length >> 1;
      arena.u32(out, total + 1).fill(0xdeadbeef);
      expect(select(kernels, out, capacity)).toBe(expected.length);
      expect(Array.from(arena.u32(out, capacity + 1))).toEqual([...expected.slice(0, capacity), 0xdeadbeef]);
    }
  }

  it.each([1, 3, 15, 16, 17, 33, 100, 2048])('selectAboveF32 keeps the entries strictly above each threshold, n = %i', (n) => {
    for (const m of [1, 2, 5]) {
      const values = arena.alloc(m * n * 4).ptr;
      const thresholds = arena.alloc(m * 4).ptr;
      // Few distinct values, so ties with the threshold are frequent; ±0, ±Infinity and NaN included.
      const palette = [-Infinity, -2, -0.5, -0, 0, 0.25, 0.5, 1, 3, Infinity, NaN];
      const tile = arena.f32(values, m * n);
      for (let i = 0; i < m * n; i++) tile[i] = palette[rnd.nextInt(palette.length)]!;
      const bars = arena.f32(thresholds, m);
      for (let a = 0; a < m; a++) bars[a] = [NaN, -Infinity, 0.5, -0, 3, Infinity][(a + n) % 6]!;
      for (const negate of [false, true]) {
        const expected: number[] = [];
        const t = arena.f32(thresholds, m).slice();
        const v = arena.f32(values, m * n).slice();
        for (let a = 0; a < m; a++) {
          for (let i = 0; i < n; i++) {
            const value = negate ? -v[a * n + i]! : v[a * n + i]!;
            // Strictly above, or NaN on either side (a NaN threshold admits the whole row).
            if (value > t[a]! || Number.isNaN(value) || Number.isNaN(t[a]!)) expected.push(a * n + i);
          }
        }
        expectSelection(m * n, expected, (kernels, out, capacity) =>
          kernels.selectAboveF32(values, m, n, thresholds, negate, out, capacity),
        );
      }
    }
  });

  it.each([1, 7, 16, 31, 64, 1000])('selectAboveI32 keeps the entries strictly above each threshold, n = %i', (n) => {
    for (const m of [1, 4]) {
      const values = arena.alloc(m * n * 4).ptr;
      const thresholds = arena.alloc(m * 4).ptr;
      const tile = arena.i32(values, m * n);
      for (let i = 0; i < m * n; i++) tile[i] = rnd.nextInt(9) - 4;
      tile[0] = -(2 ** 31); // wraps to itself when negated, like the module's i32 negation
      const bars = arena.i32(thresholds, m);
      for (let a = 0; a < m; a++) bars[a] = [-(2 ** 31), 0, 2, -3][(a + n) % 4]!;
      for (const negate of [false, true]) {
        const expected: number[] = [];
        for (let a = 0; a < m; a++) {
          for (let i = 0; i < n; i++) {
            const value = negate ? -tile[a * n + i]! | 0 : tile[a * n + i]!;
            if (value > bars[a]!) expected.push(a * n + i);
          }
        }
        expectSelection(m * n, expected, (kernels, out, capacity) =>
          kernels.selectAboveI32(values, m, n, thresholds, negate, out, capacity),
        );
      }
    }
  });

  it.each([1, 3, 4, 5, 64, 1027])('selectSketchBounds emits exactly the rows whose float32 bound reaches the threshold, n = %i', (n) => {
    for (const m of [1, 3]) {
      const dots = arena.alloc(m * n * 4).ptr;
      const params = arena.alloc(m * 20).ptr;
      const stats = arena.alloc(n * 16).ptr;
      const thresholds = arena.alloc(m * 4).ptr;
      const d = arena.i32(dots, m * n);
      for (let i = 0; i < m * n; i++) d[i] = rnd.nextInt(2_000_001) - 1_000_000;
      d[0] = 2 ** 31 - 1; // rounds when converted to float32
      const p = arena.f32(params, m * 5);
      for (let i = 0; i < m * 5; i++) p[i] = (rnd.nextFloat() - 0.5) * 10 ** (rnd.nextInt(8) - 4);
      const s = arena.f32(stats, n * 4);
      for (let i = 0; i < n * 4; i++) s[i] = rnd.nextFloat() * 10 ** (rnd.nextInt(8) - 6);
      s[1] = Infinity; // p1 · Infinity: ±Infinity, or NaN when p1 = 0, which is emitted, never lost
      // The reference bound, in the documented order with float32 rounding after every operation.
      const bound = (a: number, i: number): number => {
        let u = f32(p[a * 5]! * f32(s[i * 4]! * f32(d[a * n + i]!)));
        u = f32(u + f32(p[a * 5 + 1]! * s[i * 4 + 1]!));
        u = f32(u + f32(p[a * 5 + 2]! * s[i * 4 + 2]!));
        u = f32(u + f32(p[a * 5 + 3]! * s[i * 4 + 3]!));
        return f32(u + p[a * 5 + 4]!);
      };
      const t = arena.f32(thresholds, m);
      for (let a = 0; a < m; a++) {
        // The median bound of the row: about half the rows pass, and one ties with the threshold.
        const row = Array.from({ length: n }, (_, i) => bound(a, i)).filter((u) => !Number.isNaN(u)).sort((x, y) => x - y);
        t[a] = row[row.length >> 1] ?? 0;
      }
      const expected: number[] = [];
      for (let a = 0; a < m; a++) for (let i = 0; i < n; i++) if (!(bound(a, i) < t[a]!)) expected.push(a * n + i);
      expect(expected.length).toBeGreaterThan(0);
      expectSelection(m * n, expected, (kernels, out, capacity) =>
        kernels.selectSketchBounds(dots, m, n, params, stats, thresholds, out, capacity),
      );
    }
  });

  it('writes nothing for m = 0 or n = 0', () => {
    const out = arena.alloc(64).ptr;
    const ptr = arena.alloc(64).ptr;
    arena.u32(out, 4).fill(7);
    for (const kernels of backends) {
      expect(kernels.selectAboveF32(ptr, 0, 16, ptr, false, out, 4)).toBe(0);
      expect(kernels.selectAboveI32(ptr, 3, 0, ptr, true, out, 4)).toBe(0);
      expect(kernels.selectSketchBounds(ptr, 2, 0, ptr, ptr, ptr, out, 4)).toBe(0);
    }
    expect(Array.from(arena.u32(out, 4))).toEqual([7, 7, 7, 7]);
  });
});
