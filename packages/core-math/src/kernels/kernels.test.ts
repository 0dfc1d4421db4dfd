import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Arena } from '../arena.js';
import { SeededRandom } from '../random.js';
import { KERNELS_SOURCE_SHA256 } from './generated/wasm-bytes.js';
import { createJsKernels, floatToHalf, halfToFloat } from './js-kernels.js';
import { createKernels, getKernels, initKernels, wasmAvailable } from './select.js';
import type { Kernels } from './types.js';
import { createWasmKernels, wasmKernelBytes } from './wasm-kernels.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const DIMS = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 100, 127, 128, 384, 768, 1000];

/** A pair of backends over one arena, plus helpers to place data at irregular offsets. */
function setup(shared: boolean) {
  const arena = new Arena({ shared, initialBytes: 4 << 20 });
  return { arena, js: createJsKernels(arena), wasm: createWasmKernels(arena) };
}

/** Allocates `bytes` at a 4-byte-aligned but otherwise arbitrary pointer (not 16- or 64-byte aligned). */
function place(arena: Arena, bytes: number, rnd: SeededRandom): number {
  const skew = 4 * rnd.nextInt(16);
  return arena.alloc(bytes + skew).ptr + skew;
}

function fillGaussian(arena: Arena, ptr: number, count: number, rnd: SeededRandom): Float32Array {
  const view = arena.f32(ptr, count);
  rnd.fillGaussian(view);
  return view.slice();
}

function fillBytes(arena: Arena, ptr: number, count: number, rnd: SeededRandom): void {
  const view = arena.u8(ptr, count);
  for (let i = 0; i < count; i++) view[i] = rnd.nextUint32() & 0xff;
}

/** Element-wise equality with a readable first difference (vitest's deep equality is slow on big typed arrays). */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  expect(i === actual.length ? 'identical' : `first difference at ${i}: ${actual[i]} vs ${expected[i]}`).toBe('identical');
}

function bitsOf(arena: Arena, ptr: number, count: number): Uint32Array {
  return arena.u32(ptr, count).slice();
}

/** Float64 reference and the magnitude sum that bounds its float32 rounding error. */
function reference(q: Float32Array, qOff: number, x: Float32Array, xOff: number, dim: number, l2: boolean) {
  let sum = 0;
  let magnitude = 0;
  for (let j = 0; j < dim; j++) {
    const d = l2 ? q[qOff + j]! - x[xOff + j]! : q[qOff + j]! * x[xOff + j]!;
    const term = l2 ? d * d : d;
    sum += term;
    magnitude += Math.abs(term);
  }
  return { sum, magnitude };
}

describe.each([
  ['shared', true],
  ['non-shared', false],
])('float32 kernels (%s memory)', (_name, shared) => {
  const { arena, js, wasm } = setup(shared);

  it.each(DIMS)('dot and l2 agree bit for bit with the TypeScript backend, dim %i', (dim) => {
    const rnd = new SeededRandom(dim * 7919 + (shared ? 1 : 0));
    for (const n of [1, 2, 3, 4, 5, 7, 9, 33, 1 + rnd.nextInt(300)]) {
      const m = 1 + rnd.nextInt(9);
      const qPtr = place(arena, m * dim * 4, rnd);
      const xPtr = place(arena, n * dim * 4, rnd);
      const outJs = place(arena, m * n * 4, rnd);
      const outWasm = place(arena, m * n * 4, rnd);
      const q = fillGaussian(arena, qPtr, m * dim, rnd);
      const x = fillGaussian(arena, xPtr, n * dim, rnd);
      for (const l2 of [false, true]) {
        const batch = l2 ? 'l2sqF32Batch' : 'dotF32Batch';
        const single = l2 ? 'l2sqF32' : 'dotF32';
        js[batch](qPtr, m, xPtr, n, dim, outJs);
        wasm[batch](qPtr, m, xPtr, n, dim, outWasm);
        const expected = bitsOf(arena, outJs, m * n);
        expect(bitsOf(arena, outWasm, m * n)).toEqual(expected);
        const scores = new Float32Array(expected.buffer);
        const outOfTolerance: number[] = [];
        for (let a = 0; a < m; a++) {
          for (let i = 0; i < n; i++) {
            const { sum, magnitude } = reference(q, a * dim, x, i * dim, dim, l2);
            if (!(Math.abs(scores[a * n + i]! - sum) <= dim * 2 ** -22 * magnitude + 1e-30)) outOfTolerance.push(a * n + i);
          }
        }
        expect(outOfTolerance).toEqual([]);
        // The one-query kernel gives the same bits as the first row of the batch.
        js[single](qPtr, xPtr, n, dim, outJs);
        wasm[single](qPtr, xPtr, n, dim, outWasm);
        expect(bitsOf(arena, outWasm, n)).toEqual(bitsOf(arena, outJs, n));
        expect(bitsOf(arena, outWasm, n)).toEqual(expected.subarray(0, n));
      }
    }
  });

  it.each(DIMS)('gather kernels score listed rows exactly as the row kernels do, dim %i', (dim) => {
    const rnd = new SeededRandom(dim * 31 + (shared ? 1 : 0));
    const n = 40;
    const qPtr = place(arena, dim * 4, rnd);
    const xPtr = place(arena, n * dim * 4, rnd);
    fillGaussian(arena, qPtr, dim, rnd);
    fillGaussian(arena, xPtr, n * dim, rnd);
    const ids = [39, 0, 7, 7, 22, 1];
    const idsPtr = place(arena, ids.length * 4, rnd);
    arena.u32(idsPtr, ids.length).set(ids);
    const all = place(arena, n * 4, rnd);
    const gathered = [place(arena, ids.length * 4, rnd), place(arena, ids.length * 4, rnd)] as const;
    for (const l2 of [false, true]) {
      js[l2 ? 'l2sqF32' : 'dotF32'](qPtr, xPtr, n, dim, all);
      const rowBits = bitsOf(arena, all, n);
      const expected = Uint32Array.from(ids, (id) => rowBits[id]!);
      js[l2 ? 'l2sqF32Gather' : 'dotF32Gather'](qPtr, xPtr, idsPtr, ids.length, dim, gathered[0]);
      wasm[l2 ? 'l2sqF32Gather' : 'dotF32Gather'](qPtr, xPtr, idsPtr, ids.length, dim, gathered[1]);
      expect(bitsOf(arena, gathered[0], ids.length)).toEqual(expected);
      expect(bitsOf(arena, gathered[1], ids.length)).toEqual(expected);
    }
  });

  it('handles values where the summation order decides the rounding', () => {
    const rnd = new SeededRandom(99);
    const dim = 37;
    const n = 50;
    const qPtr = place(arena, dim * 4, rnd);
    const xPtr = place(arena, n * dim * 4, rnd);
    const out = [place(arena, n * 4, rnd), place(arena, n * 4, rnd)] as const;
    // Mixed magnitudes make every reordering visible in the low bits.
    const q = arena.f32(qPtr, dim);
    for (let j = 0; j < dim; j++) q[j] = (rnd.nextFloat() - 0.5) * 10 ** (rnd.nextInt(12) - 6);
    const x = arena.f32(xPtr, n * dim);
    for (let j = 0; j < n * dim; j++) x[j] = (rnd.nextFloat() - 0.5) * 10 ** (rnd.nextInt(12) - 6);
    for (const kernel of ['dotF32', 'l2sqF32'] as const) {
      js[kernel](qPtr, xPtr, n, dim, out[0]);
      wasm[kernel](qPtr, xPtr, n, dim, out[1]);
      expect(bitsOf(arena, out[1], n)).toEqual(bitsOf(arena, out[0], n));
    }
  });

  it('writes nothing for n = 0 or m = 0', () => {
    const out = arena.alloc(64).ptr;
    arena.f32(out, 4).fill(7);
    wasm.dotF32(out, out, 0, 4, out);
    wasm.l2sqF32Batch(out, 0, out, 4, 4, out);
    wasm.dotF32Batch(out, 3, out, 0, 4, out);
    expect(Array.from(arena.f32(out, 4))).toEqual([7, 7, 7, 7]);
  });
});

describe('integer kernels', () => {
  const { arena, js, wasm } = setup(true);

  function referenceDot(bytes: Int8Array | Uint8Array, q: number, x: number, dim: number): number {
    let s = 0;
    for (let j = 0; j < dim; j++) s += bytes[q + j]! * bytes[x + j]!;
    return s | 0;
  }

  it.each(DIMS)('int8 and uint8 dot products are exact, dim %i', (dim) => {
    const rnd = new SeededRandom(dim + 17);
    for (const n of [1, 3, 4, 5, 6, 1 + rnd.nextInt(300)]) {
      const m = 1 + rnd.nextInt(9);
      const qPtr = arena.alloc(m * dim + 3).ptr + rnd.nextInt(4);
      const xPtr = arena.alloc(n * dim + 3).ptr + rnd.nextInt(4);
      const out = place(arena, m * n * 4, rnd);
      fillBytes(arena, qPtr, m * dim, rnd);
      fillBytes(arena, xPtr, n * dim, rnd);
      for (const signed of [true, false]) {
        const bytes = signed ? new Int8Array(arena.buffer) : new Uint8Array(arena.buffer);
        const expected = new Int32Array(m * n);
        for (let a = 0; a < m; a++) {
          for (let i = 0; i < n; i++) expected[a * n + i] = referenceDot(bytes, qPtr + a * dim, xPtr + i * dim, dim);
        }
        for (const kernels of [js, wasm]) {
          const out32 = () => arena.i32(out, m * n).slice();
          arena.i32(out, m * n).fill(-1);
          (signed ? kernels.dotI8Batch : kernels.dotU8Batch)(qPtr, m, xPtr, n, dim, out);
          expect(out32()).toEqual(expected);
          (signed ? kernels.dotI8 : kernels.dotU8)(qPtr, xPtr, n, dim, out);
          expect(out32().subarray(0, n)).toEqual(expected.subarray(0, n));
        }
      }
    }
  });

  it('reaches the extremes without overflow (uint8 up to dim 33,025)', () => {
    const dim = 33_025;
    const ptr = arena.alloc(2 * dim).ptr;
    const out = arena.alloc(8).ptr;
    arena.u8(ptr, 2 * dim).fill(255);
    wasm.dotU8(ptr, ptr + dim, 1, dim, out);
    expect(arena.i32(out, 1)[0]).toBe(255 * 255 * dim);
    // int8: -128 · -128 everywhere, and -128 · 127.
    arena.u8(ptr, 2 * dim).fill(0x80);
    wasm.dotI8(ptr, ptr + dim, 1, dim, out);
    expect(arena.i32(out, 1)[0]).toBe(128 * 128 * dim);
    arena.u8(ptr + dim, dim).fill(0x7f);
    wasm.dotI8(ptr, ptr + dim, 1, 1000, out);
    expect(arena.i32(out, 1)[0]).toBe(-128 * 127 * 1000);
  });
});

describe('int8 sketch', () => {
  const { arena, js, wasm } = setup(false);

  /** Fills n rows of dim values: Gaussian at a per-row magnitude, with ties, zeros and extremes mixed in. */
  function fillRows(ptr: number, n: number, dim: number, rnd: SeededRandom): Float32Array {
    const view = arena.f32(ptr, n * dim);
    for (let r = 0; r < n; r++) {
      const magnitude = 10 ** (rnd.nextInt(60) - 30);
      const kind = r % 5;
      for (let j = 0; j < dim; j++) {
        const i = r * dim + j;
        if (kind === 0) view[i] = 0; // a zero row
        else if (kind === 1) view[i] = (rnd.nextInt(255) - 127) / 2; // codes land exactly on halves: ties
        else view[i] = magnitude * rnd.nextGaussian();
      }
      if (kind === 2) view[r * dim] = 1e-45; // a subnormal beside normal values
    }
    return view.slice();
  }

  it.each(DIMS)('codes and stats agree bit for bit with the TypeScript backend and bound the residual, dim %i', (dim) => {
    const rnd = new SeededRandom(dim * 13 + 1);
    const n = 23;
    const values = arena.alloc(n * dim * 4).ptr;
    const rows = fillRows(values, n, dim, rnd);
    const codes = [arena.alloc(n * dim).ptr, arena.alloc(n * dim).ptr] as const;
    const stats = [arena.alloc(n * 16).ptr, arena.alloc(n * 16).ptr] as const;
    js.sketchI8(values, n, dim, codes[0], stats[0]);
    wasm.sketchI8(values, n, dim, codes[1], stats[1]);
    expectSame(arena.i8(codes[1], n * dim), arena.i8(codes[0], n * dim));
    expectSame(bitsOf(arena, stats[1], n * 4), bitsOf(arena, stats[0], n * 4));
    const c = arena.i8(codes[0], n * dim);
    const st = arena.f32(stats[0], n * 4);
    const loose: string[] = [];
    for (let r = 0; r < n; r++) {
      const scale = st[r * 4]!;
      let maxAbs = 0;
      let residualSq = 0;
      let normSq = 0;
      for (let j = 0; j < dim; j++) {
        const v = rows[r * dim + j]!;
        const code = c[r * dim + j]!;
        maxAbs = Math.max(maxAbs, Math.abs(v));
        const e = v - scale * code;
        // Nearest code (the scale is maxAbs / 127 rounded, so |v| / scale may pass 127 by a hair).
        if (scale > 0 && !(Math.abs(e) <= scale / 2 + 1e-6 * Math.abs(v)) && Math.abs(code) !== 127) loose.push(`code ${r}/${j}`);
        residualSq += e * e;
        normSq += v * v;
      }
      expect(scale).toBe(Math.fround(maxAbs / 127));
      // Stored norms are upper bounds with room to spare for the float64 sums' rounding.
      if (!(st[r * 4 + 1]! >= Math.sqrt(residualSq) * (1 + 2 ** -22))) loose.push(`residual ${r}`);
      if (!(st[r * 4 + 2]! >= Math.sqrt(normSq) * (1 + 2 ** -22))) loose.push(`norm ${r}`);
      // Rounded to nearest: a float32 underflows below ~1e-45 (the bound kernel's absolute slack covers it).
      if (Math.fround(normSq) === Infinity) expect(st[r * 4 + 3]).toBeNaN();
      else if (!(Math.abs(st[r * 4 + 3]! - normSq) <= 2 ** -24 * normSq + 2 ** -150)) loose.push(`norm² ${r}`);
    }
    expect(loose).toEqual([]);
  });

  it('rounds halves to even and keeps codes within ±127', () => {
    const dim = 8;
    const values = arena.alloc(dim * 4).ptr;
    // scale = 127 / 127 = 1, so the codes are the values rounded half to even.
    arena.f32(values, dim).set([127, -127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5]);
    const codes = arena.alloc(dim).ptr;
    const stats = arena.alloc(16).ptr;
    for (const kernels of [js, wasm]) {
      kernels.sketchI8(values, 1, dim, codes, stats);
      expect(Array.from(arena.i8(codes, dim))).toEqual([127, -127, 0, 2, 2, 0, -2, -2]);
      expect(arena.f32(stats, 1)[0]).toBe(1);
    }
  });
});

describe('hamming', () => {
  const { arena, js, wasm } = setup(true);

  function popcountXor(u8: Uint8Array, q: number, x: number, bytes: number): number {
    let s = 0;
    for (let j = 0; j < bytes; j++) {
      let v = u8[q + j]! ^ u8[x + j]!;
      while (v) {
        s += v & 1;
        v >>= 1;
      }
    }
    return s;
  }

  // 496 bytes is where the byte counters fold into 32-bit sums; 1000 crosses it twice.
  it.each([1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 64, 100, 495, 496, 497, 1000])('matches a bit-by-bit count, %i bytes', (bytes) => {
    const rnd = new SeededRandom(bytes * 31);
    for (const n of [1, 2, 5, 1 + rnd.nextInt(300)]) {
      const m = 1 + rnd.nextInt(9);
      const qPtr = arena.alloc(m * bytes + 3).ptr + rnd.nextInt(4);
      const xPtr = arena.alloc(n * bytes + 3).ptr + rnd.nextInt(4);
      const out = place(arena, m * n * 4, rnd);
      fillBytes(arena, qPtr, m * bytes, rnd);
      fillBytes(arena, xPtr, n * bytes, rnd);
      const u8 = arena.u8(0, arena.byteLength);
      const expected = new Uint32Array(m * n);
      for (let a = 0; a < m; a++) {
        for (let i = 0; i < n; i++) expected[a * n + i] = popcountXor(u8, qPtr + a * bytes, xPtr + i * bytes, bytes);
      }
      for (const kernels of [js, wasm]) {
        kernels.hammingBatch(qPtr, m, xPtr, n, bytes, out);
        expect(arena.u32(out, m * n).slice()).toEqual(expected);
        kernels.hamming(qPtr, xPtr, n, bytes, out);
        expect(arena.u32(out, n).slice()).toEqual(expected.subarray(0, n));
      }
    }
  });

  it('counts every bit of all-ones codes', () => {
    const ptr = arena.alloc(2 * 1024).ptr;
    const out = arena.alloc(4).ptr;
    arena.u8(ptr, 1024).fill(0);
    arena.u8(ptr + 1024, 1024).fill(0xff);
    wasm.hamming(ptr, ptr + 1024, 1, 1024, out);
    expect(arena.u32(out, 1)[0]).toBe(8192);
  });
});

describe('float16 conversion', () => {
  const { arena, js, wasm } = setup(false);
  const count = 65536;
  const halves = arena.alloc(count * 2).ptr;
  const floats = arena.alloc(count * 4).ptr;
  const floatsJs = arena.alloc(count * 4).ptr;
  const back = arena.alloc(count * 2).ptr;
  const backJs = arena.alloc(count * 2).ptr;

  it('converts all 65,536 half values exactly and back', () => {
    const h = arena.u16(halves, count);
    for (let i = 0; i < count; i++) h[i] = i;
    wasm.f16ToF32(halves, floats, count);
    js.f16ToF32(halves, floatsJs, count);
    expectSame(bitsOf(arena, floats, count), bitsOf(arena, floatsJs, count));
    const f = arena.f32(floats, count);
    const wrong: number[] = [];
    for (let i = 0; i < count; i++) {
      const expected = halfToFloat(i);
      if (!(Number.isNaN(expected) ? Number.isNaN(f[i]) : Object.is(f[i], expected))) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    wasm.f32ToF16(floats, back, count);
    js.f32ToF16(floats, backJs, count);
    expectSame(arena.u16(back, count), arena.u16(backJs, count));
    const b = arena.u16(back, count);
    const notRoundTripped: number[] = [];
    for (let i = 0; i < count; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      // A NaN comes back as a quiet NaN; everything else exactly.
      if (isNaN ? (b[i]! & 0x7e00) !== 0x7e00 : b[i] !== i) notRoundTripped.push(i);
    }
    expect(notRoundTripped).toEqual([]);
  });

  it('rounds special and random float32 values to nearest even like the TypeScript backend', () => {
    const specials = [
      0, -0, Infinity, -Infinity, NaN, 1, -1, 65504, -65504, 65519.99, 65520, 1e10, -1e10, 3.4028234663852886e38,
      2 ** -24, -(2 ** -24), 2 ** -25, 3 * 2 ** -26, 2 ** -25 + 2 ** -40, 2 ** -14, 2 ** -14 - 2 ** -24, 1e-45, -1e-45,
      1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20, 2049, 2051, 0.1, -0.3333333,
    ];
    const rnd = new SeededRandom(5);
    const total = specials.length + 50_000;
    const src = arena.alloc(total * 4).ptr;
    arena.f32(src, specials.length).set(specials);
    const bits = arena.u32(src + specials.length * 4, 50_000);
    for (let i = 0; i < bits.length; i++) bits[i] = rnd.nextUint32();
    wasm.f32ToF16(src, back, total);
    js.f32ToF16(src, backJs, total);
    expectSame(arena.u16(back, total), arena.u16(backJs, total));
    const got = arena.u16(back, specials.length);
    for (let i = 0; i < specials.length; i++) expect(got[i]).toBe(floatToHalf(specials[i]!));
    expect(Array.from(got.subarray(0, 10))).toEqual([0, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3c00, 0xbc00, 0x7bff, 0xfbff, 0x7bff]);
    expect(got[10]).toBe(0x7c00); // 65520 rounds up to Infinity
    expect(Array.from(got.subarray(14, 19))).toEqual([0x0001, 0x8001, 0x0000, 0x0001, 0x0001]);
  });
});

describe('the WebAssembly modules', () => {
  /** Walks the sections of a wasm binary: id → payload bytes (custom sections under id 0, last wins). */
  function sections(bytes: Uint8Array): Map<number, Uint8Array> {
    const result = new Map<number, Uint8Array>();
    let offset = 8;
    const leb = (): number => {
      let value = 0;
      let shift = 0;
      for (;;) {
        const byte = bytes[offset++]!;
        value += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if (byte < 0x80) return value;
      }
    };
    while (offset < bytes.length) {
      const id = bytes[offset++]!;
      const size = leb();
      result.set(id, bytes.subarray(offset, offset + size));
      offset += size;
    }
    expect(offset).toBe(bytes.length);
    return result;
  }

  /** The single import of each module: env.memory with its limits. */
  function memoryImport(section: Uint8Array): { flags: number; min: number; max: number | undefined } {
    const text = new TextDecoder();
    expect(section[0]).toBe(1); // one import
    let offset = 1;
    const module = text.decode(section.subarray(offset + 1, offset + 1 + section[offset]!));
    offset += 1 + section[offset]!;
    const name = text.decode(section.subarray(offset + 1, offset + 1 + section[offset]!));
    offset += 1 + section[offset]!;
    expect(`${module}.${name}`).toBe('env.memory');
    expect(section[offset++]).toBe(2); // kind: memory
    const flags = section[offset++]!;
    const readLeb = (): number => {
      let value = 0;
      let shift = 0;
      for (;;) {
        const byte = section[offset++]!;
        value += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if (byte < 0x80) return value;
      }
    };
    const min = readLeb();
    const max = flags & 1 ? readLeb() : undefined;
    return { flags, min, max };
  }

  it.each([
    ['shared', true],
    ['non-shared', false],
  ])('the %s module has no data, no start function and imports a compatible memory', (_name, shared) => {
    const bytes = wasmKernelBytes(shared);
    const parts = sections(bytes);
    expect(parts.has(11)).toBe(false); // data section: would write into memory at instantiation
    expect(parts.has(12)).toBe(false); // data count section
    expect(parts.has(8)).toBe(false); // start section
    expect(parts.has(5)).toBe(false); // no memory of its own
    const memory = memoryImport(parts.get(2)!);
    expect(memory.min).toBeLessThanOrEqual(1); // new Arena() starts with at least one page
    if (shared) {
      expect(memory.flags).toBe(3); // shared, with maximum
      expect(memory.max).toBe(65535); // at least any arena's maximum
    } else {
      expect(memory.flags).toBe(0); // no maximum: accepts any memory
    }
  });

  it('embeds the same bytes as the .wasm files, built from the current sources', () => {
    const generated = join(packageDir, 'src', 'kernels', 'generated');
    for (const [file, shared] of [['kernels.wasm', false], ['kernels-shared.wasm', true]] as const) {
      const path = join(generated, file);
      if (existsSync(path)) expect(new Uint8Array(readFileSync(path))).toEqual(wasmKernelBytes(shared));
    }
    const hash = createHash('sha256');
    const assemblyDir = join(packageDir, 'assembly');
    for (const name of readdirSync(assemblyDir).filter((f) => f.endsWith('.ts')).sort()) {
      hash.update(readFileSync(join(assemblyDir, name)));
    }
    hash.update(readFileSync(join(packageDir, 'scripts', 'build-wasm.mjs')));
    // If this fails, run `node scripts/build-wasm.mjs` and commit the generated files.
    expect(hash.digest('hex')).toBe(KERNELS_SOURCE_SHA256);
  });

  it('instantiates over an attached shared memory without writing to it, and computes there', () => {
    const rnd = new SeededRandom(11);
    const owner = new Arena({ shared: true });
    const dim = 45;
    const n = 70;
    const m = 5;
    const qPtr = place(owner, m * dim * 4, rnd);
    const xPtr = place(owner, n * dim * 4, rnd);
    const outJs = place(owner, m * n * 4, rnd);
    const outWasm = place(owner, m * n * 4, rnd);
    fillGaussian(owner, qPtr, m * dim, rnd);
    fillGaussian(owner, xPtr, n * dim, rnd);
    const digest = () => createHash('sha256').update(new Uint8Array(owner.buffer)).digest('hex');
    const before = digest();

    const attached = Arena.attach(owner.memory!);
    expect(attached.shared).toBe(true);
    const kernels = createKernels(attached, 'wasm');
    expect(kernels.backend).toBe('wasm');
    expect(digest()).toBe(before);

    kernels.l2sqF32Batch(qPtr, m, xPtr, n, dim, outWasm);
    createJsKernels(owner).l2sqF32Batch(qPtr, m, xPtr, n, dim, outJs);
    expect(bitsOf(owner, outWasm, m * n)).toEqual(bitsOf(owner, outJs, m * n));
    // Memory grown by the owner is visible to the attached kernels.
    const big = owner.alloc(8 << 20);
    const far = big.ptr + big.byteLength - 64;
    owner.f32(far, 4).set([1, 2, 3, 4]);
    kernels.dotF32(far, far, 1, 4, outWasm);
    expect(owner.f32(outWasm, 1)[0]).toBe(30);
  });
});

describe('backend selection', () => {
  it('detects WebAssembly SIMD and hands out cached kernels per backend', async () => {
    expect(wasmAvailable()).toBe(true);
    const wasm = getKernels('wasm');
    expect(wasm.backend).toBe('wasm');
    expect(getKernels('wasm')).toBe(wasm);
    expect(getKernels('auto')).toBe(wasm);
    expect(getKernels('js').backend).toBe('js');
    expect(getKernels('js').arena).toBe(wasm.arena);
    await expect(initKernels('wasm')).resolves.toBe(wasm);
    const arena = new Arena({ shared: false });
    const kernels: Kernels = createKernels(arena, 'auto');
    expect(kernels.backend).toBe('wasm');
    expect(createKernels(arena, 'js').backend).toBe('js');
  });
});
