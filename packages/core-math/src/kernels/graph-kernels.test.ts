import { describe, expect, it } from 'vitest';
import { Arena } from '../arena.js';
import { SeededRandom } from '../random.js';
import { GRAPH_BATCH_ENTRY, GRAPH_CONTEXT as C, GRAPH_CONTEXT_BYTES, GRAPH_ROW_KIND, type GraphKernels } from './graph-kernels.js';
import { createJsKernels, floatToHalf } from './js-kernels.js';
import { createWasmKernels } from './wasm-kernels.js';
import { wasmAvailable } from './select.js';

const M = 6;
const M0 = 2 * M;
const N = 300;

/** A graph context over shared rows, with its own links and scratch. */
function makeGraph(arena: Arena, rows: number, stride: number, dim: number, kind: number, l2: boolean, levels: Uint8Array) {
  const ctx = arena.allocZeroed(GRAPH_CONTEXT_BYTES).ptr;
  const blocks = levels.reduce((sum, level) => sum + level, 0);
  const upperIndex = arena.alloc(N * 4).ptr;
  const index = arena.i32(upperIndex, N);
  let next = 0;
  for (let v = 0; v < N; v++) {
    index[v] = levels[v]! > 0 ? next : -1;
    next += levels[v]!;
  }
  const fields: Record<keyof typeof C, number> = {
    rows,
    stride,
    dim,
    kind,
    metric: l2 ? 1 : 0,
    m: M,
    m0: M0,
    links0: arena.allocZeroed(N * (M0 + 1) * 4).ptr,
    upperIndex,
    upper: arena.allocZeroed(Math.max(1, blocks) * (M + 1) * 4).ptr,
    visited: arena.allocZeroed(N * 4).ptr,
    epoch: 0,
    dead: arena.allocZeroed(Math.ceil(N / 32) * 4).ptr,
    entry: -1,
    maxLevel: 0,
    cand: arena.alloc((N + 1) * 8).ptr,
    result: arena.alloc(65 * 8).ptr,
    query: arena.alloc(dim * 4).ptr,
    query2: arena.alloc(dim * 4).ptr,
    select: arena.alloc((M0 + 1) * 4).ptr,
    prune: arena.alloc((2 * M0 + 2) * 8).ptr,
    nodes: N,
  };
  const view = arena.i32(ctx, GRAPH_CONTEXT_BYTES / 4);
  for (const [name, value] of Object.entries(fields)) view[C[name as keyof typeof C]] = value;
  return { ctx, fields, blocks };
}

/** Writes n random rows of a kind; returns the row pointer and stride. */
function writeRows(arena: Arena, kind: number, dim: number, rnd: SeededRandom): { rows: number; stride: number } {
  const values = new Float32Array(N * dim);
  rnd.fillGaussian(values);
  if (kind === GRAPH_ROW_KIND.float32) {
    const rows = arena.alloc(N * dim * 4).ptr;
    arena.f32(rows, N * dim).set(values);
    return { rows, stride: dim * 4 };
  }
  if (kind === GRAPH_ROW_KIND.float16) {
    const stride = ((dim + 1) & ~1) * 2;
    const rows = arena.allocZeroed(N * stride).ptr;
    for (let v = 0; v < N; v++) {
      const halves = arena.u16(rows + v * stride, dim);
      for (let j = 0; j < dim; j++) halves[j] = floatToHalf(values[v * dim + j]!);
    }
    return { rows, stride };
  }
  const codeBytes = (dim + 3) & ~3;
  const stride = codeBytes + 4;
  const rows = arena.allocZeroed(N * stride).ptr;
  for (let v = 0; v < N; v++) {
    const codes = arena.i8(rows + v * stride, dim);
    for (let j = 0; j < dim; j++) codes[j] = Math.max(-127, Math.min(127, Math.round(values[v * dim + j]! * 40)));
    arena.f32(rows + v * stride + codeBytes, 1)[0] = 0.025;
  }
  return { rows, stride };
}

describe.skipIf(!wasmAvailable())('graph kernels: WebAssembly and TypeScript agree', () => {
  const arena = new Arena({ shared: false, initialBytes: 8 << 20 });
  const backends: [string, GraphKernels][] = [
    ['wasm', createWasmKernels(arena)],
    ['js', createJsKernels(arena)],
  ];
  const cases: [string, number, number][] = [];
  for (const [kindName, kind] of Object.entries(GRAPH_ROW_KIND)) for (const dim of [5, 16, 37]) cases.push([kindName, kind, dim]);

  it.each(cases)('%s rows (kind %i), dim %i: same links, results and repairs under dot and l2', (_name, kind, dim) => {
    for (const l2 of [false, true]) {
      const rnd = new SeededRandom(dim * 31 + kind * 7 + (l2 ? 1 : 0));
      const { rows, stride } = writeRows(arena, kind, dim, rnd);
      const levels = new Uint8Array(N);
      for (let v = 0; v < N; v++) levels[v] = Math.min(3, Math.floor(-Math.log(1 - rnd.nextFloat()) / Math.log(M)));
      const query = new Float32Array(dim);
      rnd.fillGaussian(query);
      const allowed = arena.allocZeroed(Math.ceil(N / 32) * 4).ptr;
      const allowedWords = arena.u32(allowed, Math.ceil(N / 32));
      for (let v = 0; v < N; v += 7) allowedWords[v >>> 5]! |= 1 << (v & 31);

      const snapshots = backends.map(([, kernels]) => {
        const graph = makeGraph(arena, rows, stride, dim, kind, l2, levels);
        const { ctx, fields } = graph;
        for (let v = 0; v < N; v++) kernels.graphInsert(ctx, v, levels[v]!, 24);
        const search = (ef: number, lambda: number, allowedPtr: number, acorn: boolean) => {
          arena.f32(fields.query, dim).set(query);
          const count = kernels.graphSearch(ctx, ef, lambda, allowedPtr, acorn);
          return [...arena.i32(fields.result, 2 * count)];
        };
        const before = [search(16, 0, 0, false), search(40, 0.2, 0, false), search(32, 0, allowed, true), search(32, 0, allowed, false)];
        const dead = arena.u32(fields.dead, Math.ceil(N / 32));
        for (let v = 3; v < N; v += 5) {
          dead[v >>> 5]! |= 1 << (v & 31);
          kernels.graphRepair(ctx, v, levels[v]!);
        }
        const after = search(16, 0, 0, false);
        return {
          links0: [...arena.i32(fields.links0, N * (M0 + 1))],
          upper: [...arena.i32(fields.upper, graph.blocks * (M + 1))],
          entry: arena.i32(ctx, GRAPH_CONTEXT_BYTES / 4)[C.entry],
          before,
          after,
        };
      });
      const [wasm, js] = snapshots;
      expect(wasm!.before[0]!.length).toBe(32); // 16 (score, id) pairs
      expect(js).toEqual(wasm);
      // Searches return live nodes only, and ACORN honours the filter.
      const afterIds = wasm!.after.filter((_, i) => i % 2 === 1);
      expect(afterIds.every((id) => id % 5 !== 3)).toBe(true);
      const acornIds = wasm!.before[2]!.filter((_, i) => i % 2 === 1);
      expect(acornIds.length).toBeGreaterThan(0);
      expect(acornIds.every((id) => id % 7 === 0)).toBe(true);
    }
  });
});

describe.skipIf(!wasmAvailable())('graph kernels: batched construction', () => {
  const arena = new Arena({ shared: false, initialBytes: 8 << 20 });
  const backends: [string, GraphKernels][] = [
    ['wasm', createWasmKernels(arena)],
    ['js', createJsKernels(arena)],
  ];
  const SERIAL = 60;
  const BATCH = 48;

  /** Serial inserts up to SERIAL, then planned + committed batches, split over `threads` simulated threads. */
  function buildBatched(kernels: GraphKernels, graph: ReturnType<typeof makeGraph>, levels: Uint8Array, threads: number): void {
    const { ctx } = graph;
    for (let v = 0; v < SERIAL; v++) kernels.graphInsert(ctx, v, levels[v]!, 24);
    const view = arena.i32(ctx, GRAPH_CONTEXT_BYTES / 4);
    const table = arena.alloc(BATCH * GRAPH_BATCH_ENTRY.bytes).ptr;
    const records = arena.alloc(BATCH * 4 * (M + 1) * 4).ptr;
    for (let start = SERIAL; start < N; start += BATCH) {
      const count = Math.min(BATCH, N - start);
      const top = view[C.maxLevel]!;
      const entries = arena.i32(table, count * 4);
      for (let b = 0; b < count; b++) {
        entries.set([start + b, levels[start + b]!, records + b * 4 * (M + 1) * 4, Math.min(levels[start + b]!, top) + 1], b * 4);
      }
      for (let t = 0; t < threads; t++) kernels.graphPlanInserts(ctx, table, count, t, threads, 24);
      for (let t = 0; t < threads; t++) kernels.graphCommitInserts(ctx, table, count, t, threads);
      for (let b = 0; b < count; b++) {
        if (levels[start + b]! > view[C.maxLevel]!) {
          view[C.entry] = start + b;
          view[C.maxLevel] = levels[start + b]!;
        }
      }
    }
  }

  it('gives the same graph on both backends and for any thread count, and links every node', () => {
    for (const kind of [GRAPH_ROW_KIND.float32, GRAPH_ROW_KIND.int8]) {
      const dim = 19;
      const rnd = new SeededRandom(11 + kind);
      const { rows, stride } = writeRows(arena, kind, dim, rnd);
      const levels = new Uint8Array(N);
      // Level 0 only: a new top level would end a batch early in HnswIndex's schedule.
      for (let v = 0; v < N; v++) levels[v] = v < SERIAL ? Math.min(2, Math.floor(-Math.log(1 - rnd.nextFloat()) / Math.log(M))) : 0;
      const graphs = [];
      for (const [, kernels] of backends) {
        for (const threads of [1, 3]) {
          const graph = makeGraph(arena, rows, stride, dim, kind, true, levels);
          buildBatched(kernels, graph, levels, threads);
          graphs.push({ links0: [...arena.i32(graph.fields.links0, N * (M0 + 1))], upper: [...arena.i32(graph.fields.upper, graph.blocks * (M + 1))] });
        }
      }
      for (const other of graphs.slice(1)) expect(other).toEqual(graphs[0]);
      const links0 = graphs[0]!.links0;
      for (let v = 0; v < N; v++) expect(links0[v * (M0 + 1)]).toBeGreaterThan(0);
      // Batch nodes link to each other (the earlier ones are candidates of the later ones).
      let intraBatch = 0;
      for (let v = SERIAL + 1; v < SERIAL + BATCH; v++) {
        for (let i = 1; i <= links0[v * (M0 + 1)]!; i++) if (links0[v * (M0 + 1) + i]! >= SERIAL && links0[v * (M0 + 1) + i]! < v) intraBatch++;
      }
      expect(intraBatch).toBeGreaterThan(0);
    }
  });
});
