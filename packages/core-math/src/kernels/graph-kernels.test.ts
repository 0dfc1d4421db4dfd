import { describe, expect, it } from 'vitest';
import { Arena } from '../arena.js';
import { SeededRandom } from '../random.js';
import { GRAPH_BATCH_ENTRY, GRAPH_CONTEXT as C, GRAPH_CONTEXT_BYTES, GRAPH_ROW_KIND, isPqRowKind, type GraphKernels } from './graph-kernels.js';
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
    table: 0,
    subspaces: 0,
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
  for (const [kindName, kind] of Object.entries(GRAPH_ROW_KIND)) if (!isPqRowKind(kind)) for (const dim of [5, 16, 37]) cases.push([kindName, kind, dim]);

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
        // The exhaustive scan of a listed subset (every third node), best 10 of them.
        const listed = arena.alloc(100 * 4).ptr;
        arena.i32(listed, 100).set(Array.from({ length: 100 }, (_, i) => 3 * i));
        arena.f32(fields.query, dim).set(query);
        const scanned = [...arena.i32(fields.result, 2 * kernels.graphScan(ctx, listed, 100, 10))];
        return {
          scanned,
          links0: [...arena.i32(fields.links0, N * (M0 + 1))],
          upper: [...arena.i32(fields.upper, graph.blocks * (M + 1))],
          entry: arena.i32(ctx, GRAPH_CONTEXT_BYTES / 4)[C.entry],
          before,
          after,
        };
      });
      const [wasm, js] = snapshots;
      expect(wasm!.before[0]!.length).toBe(32); // 16 (score, id) pairs
      // The scan is exact: the best 10 listed nodes by their search scores, ties to the lower id.
      const scanIds = wasm!.scanned.filter((_, i) => i % 2 === 1);
      expect(scanIds.length).toBe(10);
      expect(scanIds.every((id) => id % 3 === 0)).toBe(true);
      const scanScores = new Float32Array(new Int32Array(wasm!.scanned).buffer).filter((_, i) => i % 2 === 0);
      for (let i = 1; i < 10; i++) expect(scanScores[i]!).toBeLessThanOrEqual(scanScores[i - 1]!);
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

describe.skipIf(!wasmAvailable())('graph kernels: PQ rows', () => {
  const arena = new Arena({ shared: false, initialBytes: 8 << 20 });
  const backends: [string, GraphKernels][] = [
    ['wasm', createWasmKernels(arena)],
    ['js', createJsKernels(arena)],
  ];
  /** The ADC sum as PqScorer computes it: subspace order, float32 after every addition. */
  function adc(table: Float32Array, code: Uint8Array, subspaces: number, bits: 8 | 4): number {
    let s = 0;
    for (let m = 0; m < subspaces; m++) {
      const c = bits === 8 ? code[m]! : (code[m >> 1]! >> ((m & 1) << 2)) & 15;
      s = Math.fround(s + table[m * (1 << bits) + c]!);
    }
    return s;
  }

  // 7 and 9 subspaces: the four-codes-at-a-time path has a tail; pq4 packs an odd count.
  it.each([
    ['pq8', GRAPH_ROW_KIND.pq8, 8, 7],
    ['pq8', GRAPH_ROW_KIND.pq8, 8, 16],
    ['pq4', GRAPH_ROW_KIND.pq4, 4, 9],
  ] as const)('%s rows (kind %i), %i bits, %i subspaces: both backends search alike and score the ADC sum', (_name, kind, bits, subspaces) => {
    const rnd = new SeededRandom(5 + subspaces);
    const ksub = 1 << bits;
    // One dimension per subspace: row v is the codebook entries its code picks, so the graph, linked
    // over those float32 rows (as PQ-HNSW links over exact vectors), fits the ADC scores.
    const dim = subspaces;
    const codebook = new Float32Array(subspaces * ksub);
    rnd.fillGaussian(codebook);
    const codeSize = bits === 8 ? subspaces : (subspaces + 1) >> 1;
    const codes = arena.allocZeroed(N * codeSize).ptr;
    const codeBytes = arena.u8(codes, N * codeSize);
    const rows = arena.alloc(N * dim * 4).ptr;
    const rowValues = arena.f32(rows, N * dim);
    for (let v = 0; v < N; v++) {
      for (let m = 0; m < subspaces; m++) {
        const c = rnd.nextInt(ksub);
        if (bits === 8) codeBytes[v * codeSize + m] = c;
        else codeBytes[v * codeSize + (m >> 1)]! |= c << ((m & 1) << 2);
        rowValues[v * dim + m] = codebook[m * ksub + c]!;
      }
    }
    const stride = dim * 4;
    const levels = new Uint8Array(N);
    for (let v = 0; v < N; v++) levels[v] = Math.min(2, Math.floor(-Math.log(1 - rnd.nextFloat()) / Math.log(M)));
    const query = new Float32Array(dim);
    rnd.fillGaussian(query);
    const tablePtr = arena.alloc(subspaces * ksub * 4).ptr;
    const allowed = arena.allocZeroed(Math.ceil(N / 32) * 4).ptr;
    for (let v = 0; v < N; v += 3) arena.u32(allowed, Math.ceil(N / 32))[v >>> 5]! |= 1 << (v & 31);

    for (const l2 of [false, true]) {
      const tableValues = new Float32Array(subspaces * ksub);
      for (let i = 0; i < tableValues.length; i++) {
        const q = query[i >> bits]!;
        tableValues[i] = l2 ? (q - codebook[i]!) ** 2 : q * codebook[i]!;
      }
      arena.f32(tablePtr, tableValues.length).set(tableValues);
      const graph = makeGraph(arena, rows, stride, dim, GRAPH_ROW_KIND.float32, l2, levels);
      for (let v = 0; v < N; v++) backends[0]![1].graphInsert(graph.ctx, v, levels[v]!, 24);
      const view = arena.i32(graph.ctx, GRAPH_CONTEXT_BYTES / 4);
      view.set([codes, codeSize], C.rows);
      view[C.kind] = kind;
      view[C.table] = tablePtr;
      view[C.subspaces] = subspaces;
      const dead = arena.u32(graph.fields.dead, Math.ceil(N / 32));
      dead[0] = 1 << 5; // a tombstone: traversed, never returned

      const results = backends.map(([, kernels]) =>
        ([[64, 0, 0, false], [16, 0.1, 0, false], [32, 0, allowed, true], [32, 0, allowed, false]] as const).map(([ef, lambda, filter, acorn]) => {
          const count = kernels.graphSearch(graph.ctx, ef, lambda, filter, acorn);
          return [...arena.i32(graph.fields.result, 2 * count)];
        }),
      );
      expect(results[1]).toEqual(results[0]);
      // The exhaustive scan of every node gives the exact ADC top 10 on both backends.
      const everyNode = arena.alloc(N * 4).ptr;
      arena.i32(everyNode, N).set(Array.from({ length: N }, (_, v) => v));
      const scans = backends.map(([, kernels]) => [...arena.i32(graph.fields.result, 2 * kernels.graphScan(graph.ctx, everyNode, N, 10))]);
      expect(scans[1]).toEqual(scans[0]);

      const exact = Array.from({ length: N }, (_, v) => {
        const s = adc(tableValues, codeBytes.subarray(v * codeSize, (v + 1) * codeSize), subspaces, bits);
        return { v, s: l2 ? -s : s };
      }).filter(({ v }) => v !== 5);
      exact.sort((a, b) => b.s - a.s || a.v - b.v);
      const pairs = results[0]![0]!;
      const f = new Float32Array(new Int32Array(pairs).buffer);
      expect(pairs.length).toBe(128);
      for (let i = 0; i < pairs.length; i += 2) {
        const v = pairs[i + 1]!;
        expect(v).not.toBe(5);
        const s = adc(tableValues, codeBytes.subarray(v * codeSize, (v + 1) * codeSize), subspaces, bits);
        expect(f[i]).toBe(l2 ? -s : s);
      }
      expect(pairs[1]).toBe(exact[0]!.v);
      // (the scan skips nothing: node 5 counts there)
      const exactAll = [...exact, { v: 5, s: (l2 ? -1 : 1) * adc(tableValues, codeBytes.subarray(5 * codeSize, 6 * codeSize), subspaces, bits) }];
      exactAll.sort((a, b) => b.s - a.s || a.v - b.v);
      expect(scans[0]!.filter((_, i) => i % 2 === 1)).toEqual(exactAll.slice(0, 10).map((e) => e.v));
      const filtered = results[0]![2]!.filter((_, i) => i % 2 === 1);
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.every((v) => v % 3 === 0)).toBe(true);
    }
  });

  it('refuses to link over PQ rows (no vectors to query with)', () => {
    const levels = new Uint8Array(N);
    const { rows } = writeRows(arena, GRAPH_ROW_KIND.float32, 4, new SeededRandom(3));
    for (const [name, kernels] of backends) {
      const graph = makeGraph(arena, rows, 4, 4, GRAPH_ROW_KIND.pq8, true, levels);
      arena.i32(graph.ctx, GRAPH_CONTEXT_BYTES / 4)[C.subspaces] = 4;
      kernels.graphInsert(graph.ctx, 0, 0, 8); // the first node only becomes the entry point
      expect(() => kernels.graphInsert(graph.ctx, 1, 0, 8), name).toThrow();
    }
  });
});
