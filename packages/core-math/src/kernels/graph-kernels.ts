import type { Arena } from '../arena.js';
import { UnsupportedOperationError } from '../errors.js';
import { halfToFloat } from './js-kernels.js';

/**
 * Graph search (HNSW): layer search, insertion and removal repair over rows kept in the arena, one
 * kernel call per query or per inserted node, so a search never crosses into JavaScript per hop.
 *
 * Every call takes a **context**: 24 int32 fields in the arena (offsets in `GRAPH_CONTEXT`, in
 * units of 4 bytes) that the caller fills and keeps current when its arrays move:
 *
 * | field | meaning |
 * |---|---|
 * | `rows`, `stride` | the stored rows: row `v` starts at `rows + v · stride` |
 * | `dim`, `kind`, `metric` | vector dimension; row kind (`GRAPH_ROW_KIND`); 0 = dot, 1 = l2 |
 * | `m`, `m0` | link capacity on upper levels and on level 0 |
 * | `links0` | level 0 links: per node `m0 + 1` int32, a count then the ids |
 * | `upperIndex`, `upper` | per node the int32 index of its first upper block (level 1); blocks of `m + 1` int32 (count, ids), level `l` at index + l − 1 |
 * | `visited`, `epoch` | one uint32 mark per node (zeroed when allocated) and the current mark |
 * | `dead` | tombstone bitset (uint32 words; 0 = none): tombstoned nodes are traversed, never returned or linked to |
 * | `entry`, `maxLevel` | entry point (−1 when empty) and its level; `graphInsert` updates them |
 * | `cand` | candidate heap: `nodes + 1` (float32 score, int32 id) pairs |
 * | `result` | result area: `max(ef) + 1` pairs; `graphSearch` leaves its results here, best first |
 * | `query`, `query2` | float32 scratch vectors of `dim` values; `query` holds the search query |
 * | `select`, `prune` | int32 scratch of `m0 + 1` ids; pair scratch of `2 · m0 + 2` pairs |
 * | `nodes` | nodes in the graph (the size of `visited`) |
 * | `table`, `subspaces` | PQ rows only: the query's ADC table (`subspaces × 2^bits` float32) and the code's subspace count |
 *
 * Scores are higher-is-better: the dot product, or the negated squared L2 distance. The canonical
 * float order, which both backends follow: four float32x4 accumulators over blocks of 16 values
 * (accumulator b takes values 16i + 4b .. 16i + 4b + 3), the remaining groups of 4 into accumulator 0,
 * v = (a0 + a1) + (a2 + a3) lane-wise, s = (v0 + v2) + (v1 + v3), then the last `dim % 4` values one
 * by one, float32 rounding after every operation. Row kinds: float32; float16 (finite values);
 * int8 codes c (dim bytes padded to 4, then a float32 scale s): dot = s · Σ q·c, l2 = Σ (q − s·c)².
 *
 * PQ rows (`pq8`: one byte per subspace; `pq4`: nibbles, subspace m in byte m >> 1, low nibble
 * first; `stride` = the code size) are scored against the ADC table of the query at `table` instead
 * of a float32 query: s = Σ_m table[m · 2^bits + code_m] in subspace order, float32 after every
 * addition (as `@quiver/pq`'s `PqScorer`), negated under l2 (the table holds squared distances).
 * They serve `graphSearch` only: linking and repair need a node's vector as a query, which codes
 * alone do not give, so those run in the `GraphWalker` with the storage's own scorer (a PQ kind
 * there traps in WebAssembly and throws in TypeScript).
 *
 * Heaps order pairs by score, then by lower id, so both backends visit nodes in the same order.
 */
export interface GraphKernels {
  /**
   * Searches for the float32 query in the `query` area: greedy descent from the entry point through
   * the upper levels, then a beam search of width `ef` on level 0. Writes up to `ef` pairs, best
   * first, to the `result` area and returns how many. `lambda` relaxes the stop and admission tests
   * to `score ≥ worst − |worst| · lambda` (kANNolo's distance-adaptive early exit; 0 = HNSW's).
   * `allowed` is a bitset pointer (0 = every node) of the nodes that may be returned; with `acorn`,
   * only allowed nodes are scored and expanded, and the neighbours of a disallowed neighbour are
   * looked at too (ACORN-1's two-hop expansion).
   */
  graphSearch(ctx: number, ef: number, lambda: number, allowed: number, acorn: boolean): number;
  /**
   * Scores the `count` nodes listed at `ids` (int32) against the query (the `query` area, or the
   * ADC table for PQ rows) and leaves the best `ef`, best first, in the `result` area; returns how
   * many. The exhaustive search of a small candidate set (the nodes a selective filter admits).
   */
  graphScan(ctx: number, ids: number, count: number, ef: number): number;
  /**
   * Links node `node` (row stored, upper blocks assigned, link counts zero) into the graph with
   * `level` upper levels: hnswlib's insertion with the neighbour-selection heuristic
   * (keepPrunedConnections off). Updates the entry point when `level` is a new top level.
   */
  graphInsert(ctx: number, node: number, level: number, efConstruction: number): void;
  /**
   * After `node` (with `level` upper levels) was tombstoned: each live neighbour that links back
   * to it re-selects its links from its own and `node`'s, without tombstoned nodes.
   */
  graphRepair(ctx: number, node: number, level: number): void;
  /**
   * Batched construction, step 1 (read only; threads may plan different entries at once, each with
   * its own context): plans the entries `first`, `first + step`, ... below `count` of the batch table
   * at `batch` (see `GRAPH_BATCH_ENTRY`): greedy descent, then on each level up to min(level, top)
   * `graphInsert`'s beam search, with the batch entries before this one (of at least that level)
   * scored as extra candidates, and the neighbour selection, written to the entry's record
   * (`levelsPlanned` lists of M + 1 int32, level 0 first). Writes only the records and the context's
   * scratch.
   */
  graphPlanInserts(ctx: number, batch: number, count: number, first: number, step: number, efConstruction: number): void;
  /**
   * Batched construction, step 2, the share of thread `worker` of `threads`: for each entry in batch
   * order, the owner of its node (node % threads) installs the planned links, and the owner of each
   * linked node adds the reverse link (re-selecting when full). Threads write disjoint lists, and the
   * resulting graph does not depend on the thread count.
   */
  graphCommitInserts(ctx: number, batch: number, count: number, worker: number, threads: number): void;
}

/**
 * Batch table entries of `graphPlanInserts` / `graphCommitInserts`: 4 int32 (16 bytes) each, in
 * int32 units: the node (its row stored, upper blocks assigned, links empty), its level, the byte
 * pointer of its record, and the levels planned, min(level, top) + 1 with top the context's
 * `maxLevel` at planning time.
 */
export const GRAPH_BATCH_ENTRY = Object.freeze({ node: 0, level: 1, record: 2, levelsPlanned: 3, bytes: 16 });

/** Context field positions, in int32 units from the context pointer. */
export const GRAPH_CONTEXT = Object.freeze({
  rows: 0,
  stride: 1,
  dim: 2,
  kind: 3,
  metric: 4,
  m: 5,
  m0: 6,
  links0: 7,
  upperIndex: 8,
  upper: 9,
  visited: 10,
  epoch: 11,
  dead: 12,
  entry: 13,
  maxLevel: 14,
  cand: 15,
  result: 16,
  query: 17,
  query2: 18,
  select: 19,
  prune: 20,
  nodes: 21,
  table: 22,
  subspaces: 23,
});

/** Bytes of a graph context. */
export const GRAPH_CONTEXT_BYTES = 96;

/** Row kinds of `GRAPH_CONTEXT.kind`. */
export const GRAPH_ROW_KIND = Object.freeze({ float32: 0, float16: 1, int8: 2, pq8: 3, pq4: 4 });

/** Whether a row kind holds PQ codes (scored with the context's ADC table; search only). */
export function isPqRowKind(kind: number): boolean {
  return kind === GRAPH_ROW_KIND.pq8 || kind === GRAPH_ROW_KIND.pq4;
}

const f32 = Math.fround;
const C = GRAPH_CONTEXT;

/**
 * How a `GraphWalker` scores: two query slots (0 = the search query or the node being linked,
 * 1 = the candidate the selection heuristic is testing) against stored nodes.
 */
export interface GraphScoring {
  /** Makes stored node `node` the query of slot `which`. */
  setNodeQuery(which: 0 | 1, node: number): void;
  /** The score of slot `which`'s query against node `node`. */
  score(which: 0 | 1, node: number): number;
  /** `out[i] = score(which, ids[i])` for i < count. */
  scoreMany(which: 0 | 1, ids: Int32Array, count: number, out: Float32Array): void;
}

/** The TypeScript implementation, with results equal to the WebAssembly one. */
export function createJsGraphKernels(arena: Arena): GraphKernels {
  const scoring = new ArenaRowScoring(arena);
  const walker = new GraphWalker(arena, scoring);
  return {
    graphSearch: (ctx, ef, lambda, allowed, acorn) => {
      scoring.load(ctx);
      return walker.search(ctx, ef, lambda, allowed, acorn);
    },
    graphScan: (ctx, ids, count, ef) => {
      scoring.load(ctx);
      return walker.scan(ctx, ids, count, ef);
    },
    graphInsert: (ctx, node, level, efConstruction) => {
      scoring.load(ctx);
      walker.insert(ctx, node, level, efConstruction);
    },
    graphRepair: (ctx, node, level) => {
      scoring.load(ctx);
      walker.repair(ctx, node, level);
    },
    graphPlanInserts: (ctx, batch, count, first, step, efConstruction) => {
      scoring.load(ctx);
      walker.planInserts(ctx, batch, count, first, step, efConstruction);
    },
    graphCommitInserts: (ctx, batch, count, worker, threads) => {
      scoring.load(ctx);
      walker.commitInserts(ctx, batch, count, worker, threads);
    },
  };
}

/**
 * The graph algorithms of assembly/graph.ts, step for step, over a context in `arena` (see
 * `GraphKernels`), with scores from a `GraphScoring`: the TypeScript kernel backend, and the path
 * for storages the WebAssembly kernels cannot read (product-quantized codes, ...). The context's
 * row fields are ignored; the `query` and `query2` areas are not used. Scoring slot 0 must hold the
 * query before `search`.
 */
export class GraphWalker {
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private u32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private f32v: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private ctx = 0;
  private maxM = 0;
  private maxM0 = 0;
  private links0 = 0;
  private upperIndex = 0;
  private upper = 0;
  private visited = 0;
  private dead = 0;
  private cand = 0;
  private result = 0;
  private nodes = 0;
  private candCount = 0;
  private resultCount = 0;
  private greedyScore = 0;
  /** Neighbours gathered in one expansion, and their scores. */
  private gathered = new Int32Array(0);
  private gatheredScores = new Float32Array(0);

  constructor(
    private readonly arena: Arena,
    private readonly scoring: GraphScoring,
  ) {}

  search(ctx: number, ef: number, lambda: number, allowed: number, acorn: boolean): number {
    this.load(ctx);
    let node = this.field(C.entry);
    if (node < 0) return 0;
    let s = this.scoring.score(0, node);
    for (let level = this.field(C.maxLevel); level > 0; level--) {
      node = this.greedy(node, s, level);
      s = this.greedyScore;
    }
    return this.searchLayer(node, s, 0, ef, f32(lambda), allowed, acorn);
  }

  /** `GraphKernels.graphScan`. */
  scan(ctx: number, ids: number, count: number, ef: number): number {
    this.load(ctx);
    const result = this.result;
    const chunk = this.gathered;
    const scores = this.gatheredScores;
    this.resultCount = 0;
    for (let at = 0; at < count; at += chunk.length) {
      const n = Math.min(chunk.length, count - at);
      chunk.set(this.i32.subarray((ids >> 2) + at, (ids >> 2) + at + n));
      this.scoring.scoreMany(0, chunk, n, scores);
      for (let i = 0; i < n; i++) {
        const s = scores[i]!;
        const v = chunk[i]!;
        if (this.resultCount < ef) this.heapPush(result, this.resultCount++, s, v, false);
        else if (before(s, v, this.pairScore(result, 0), this.pairId(result, 0))) {
          this.heapPop(result, this.resultCount--, false);
          this.heapPush(result, this.resultCount++, s, v, false);
        }
      }
    }
    this.heapSortResults(result, this.resultCount);
    return this.resultCount;
  }

  insert(ctx: number, node: number, level: number, efConstruction: number): void {
    this.load(ctx);
    let entry = this.field(C.entry);
    if (entry < 0) {
      this.setField(C.entry, node);
      this.setField(C.maxLevel, level);
      return;
    }
    this.scoring.setNodeQuery(0, node);
    const top = this.field(C.maxLevel);
    const select = this.field(C.select);
    let s = this.scoring.score(0, entry);
    for (let l = top; l > level; l--) {
      entry = this.greedy(entry, s, l);
      s = this.greedyScore;
    }
    for (let l = Math.min(level, top); l >= 0; l--) {
      // addLink below may have made another node the query: make it this node again.
      this.scoring.setNodeQuery(0, node);
      const found = this.searchLayer(entry, s, l, efConstruction, 0, 0, false);
      if (found === 0) continue;
      entry = this.pairId(this.result, 0);
      s = this.pairScore(this.result, 0);
      const kept = this.selectNeighbors(this.result, found, this.maxM, select);
      const list = this.linksOf(node, l);
      this.i32.copyWithin((list + 4) >> 2, select >> 2, (select >> 2) + kept);
      this.i32[list >> 2] = kept;
      for (let i = 0; i < kept; i++) this.addLink(this.i32[(select >> 2) + i]!, node, l);
    }
    if (level > top) {
      this.setField(C.entry, node);
      this.setField(C.maxLevel, level);
    }
  }

  repair(ctx: number, node: number, level: number): void {
    this.load(ctx);
    const prune = this.field(C.prune);
    const i32 = this.i32;
    for (let l = 0; l <= level; l++) {
      const own = this.linksOf(node, l);
      const ownCount = i32[own >> 2]!;
      for (let i = 0; i < ownCount; i++) {
        const u = i32[(own >> 2) + 1 + i]!;
        if (this.isDead(u)) continue;
        const list = this.linksOf(u, l);
        const count = i32[list >> 2]!;
        let linksBack = false;
        for (let j = 0; j < count; j++) if (i32[(list >> 2) + 1 + j] === node) linksBack = true;
        if (!linksBack) continue;
        const epoch = this.nextEpoch();
        this.u32[(this.visited >> 2) + u] = epoch;
        this.u32[(this.visited >> 2) + node] = epoch;
        let n = 0;
        for (let j = 0; j < count; j++) n = this.collect(list, j, epoch, prune, n);
        for (let j = 0; j < ownCount; j++) n = this.collect(own, j, epoch, prune, n);
        this.reselect(u, l, n);
      }
    }
  }

  /** `GraphKernels.graphPlanInserts`. */
  planInserts(ctx: number, batch: number, count: number, first: number, step: number, efConstruction: number): void {
    this.load(ctx);
    const top = this.field(C.maxLevel);
    const recordWords = this.maxM + 1;
    const B = GRAPH_BATCH_ENTRY;
    for (let b = first; b < count; b += step) {
      const at = (batch >> 2) + b * 4;
      const node = this.i32[at + B.node]!;
      const level = this.i32[at + B.level]!;
      const record = this.i32[at + B.record]! >> 2;
      let entry = this.field(C.entry);
      this.scoring.setNodeQuery(0, node);
      let s = this.scoring.score(0, entry);
      for (let l = top; l > level; l--) {
        entry = this.greedy(entry, s, l);
        s = this.greedyScore;
      }
      for (let l = Math.min(level, top); l >= 0; l--) {
        let found = this.searchLayer(entry, s, l, efConstruction, 0, 0, false);
        if (found > 0) {
          entry = this.pairId(this.result, 0);
          s = this.pairScore(this.result, 0);
        }
        found = this.mergeMates(batch, b, l, efConstruction, found);
        const list = record + l * recordWords;
        this.i32[list] = found === 0 ? 0 : this.selectNeighbors(this.result, found, this.maxM, (list + 1) << 2);
      }
    }
  }

  /** `GraphKernels.graphCommitInserts`. */
  commitInserts(ctx: number, batch: number, count: number, worker: number, threads: number): void {
    this.load(ctx);
    const recordWords = this.maxM + 1;
    const B = GRAPH_BATCH_ENTRY;
    for (let b = 0; b < count; b++) {
      const at = (batch >> 2) + b * 4;
      const node = this.i32[at + B.node]!;
      const record = this.i32[at + B.record]! >> 2;
      const levels = this.i32[at + B.levelsPlanned]!;
      const mine = node % threads === worker;
      for (let l = 0; l < levels; l++) {
        const list = record + l * recordWords;
        const kept = this.i32[list]!;
        if (mine) this.i32.copyWithin(this.linksOf(node, l) >> 2, list, list + kept + 1);
        for (let i = 0; i < kept; i++) {
          const target = this.i32[list + 1 + i]!;
          if (target % threads === worker) this.addLink(target, node, l);
        }
      }
    }
  }

  private load(ctx: number): void {
    const buffer = this.arena.buffer;
    if (this.i32.buffer !== buffer) {
      this.i32 = new Int32Array(buffer);
      this.u32 = new Uint32Array(buffer);
      this.f32v = new Float32Array(buffer);
    }
    this.ctx = ctx;
    this.maxM = this.field(C.m);
    this.maxM0 = this.field(C.m0);
    this.links0 = this.field(C.links0);
    this.upperIndex = this.field(C.upperIndex);
    this.upper = this.field(C.upper);
    this.visited = this.field(C.visited);
    this.dead = this.field(C.dead);
    this.cand = this.field(C.cand);
    this.result = this.field(C.result);
    this.nodes = this.field(C.nodes);
    const gather = this.maxM0 * (this.maxM0 + 1) + 1;
    if (this.gathered.length < gather) {
      this.gathered = new Int32Array(gather);
      this.gatheredScores = new Float32Array(gather);
    }
  }

  private field(index: number): number {
    return this.i32[(this.ctx >> 2) + index]!;
  }

  private setField(index: number, value: number): void {
    this.i32[(this.ctx >> 2) + index] = value;
  }

  private linksOf(node: number, level: number): number {
    if (level === 0) return this.links0 + node * (this.maxM0 + 1) * 4;
    const block = this.i32[(this.upperIndex >> 2) + node]! + level - 1;
    return this.upper + block * (this.maxM + 1) * 4;
  }

  private maxLinks(level: number): number {
    return level === 0 ? this.maxM0 : this.maxM;
  }

  private isDead(node: number): boolean {
    return this.dead !== 0 && (this.u32[(this.dead >> 2) + (node >>> 5)]! & (1 << (node & 31))) !== 0;
  }

  private inBitset(words: number, node: number): boolean {
    return (this.u32[(words >> 2) + (node >>> 5)]! & (1 << (node & 31))) !== 0;
  }

  private nextEpoch(): number {
    let epoch = (this.u32[(this.ctx >> 2) + C.epoch]! + 1) >>> 0;
    if (epoch === 0) {
      this.u32.fill(0, this.visited >> 2, (this.visited >> 2) + this.nodes);
      epoch = 1;
    }
    this.u32[(this.ctx >> 2) + C.epoch] = epoch;
    return epoch;
  }

  // ---- heaps --------------------------------------------------------------------------------

  private pairScore(heap: number, i: number): number {
    return this.f32v[(heap >> 2) + 2 * i]!;
  }

  private pairId(heap: number, i: number): number {
    return this.i32[(heap >> 2) + 2 * i + 1]!;
  }

  private setPair(heap: number, i: number, s: number, id: number): void {
    this.f32v[(heap >> 2) + 2 * i] = s;
    this.i32[(heap >> 2) + 2 * i + 1] = id;
  }

  private heapPush(heap: number, n: number, s: number, id: number, best: boolean): void {
    let i = n;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = this.pairScore(heap, parent);
      const pid = this.pairId(heap, parent);
      const up = best ? before(s, id, ps, pid) : before(ps, pid, s, id);
      if (!up) break;
      this.setPair(heap, i, ps, pid);
      i = parent;
    }
    this.setPair(heap, i, s, id);
  }

  private heapPop(heap: number, n: number, best: boolean): void {
    const last = n - 1;
    if (last === 0) return;
    const s = this.pairScore(heap, last);
    const id = this.pairId(heap, last);
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      let child = left;
      const right = left + 1;
      if (right < last) {
        const rs = this.pairScore(heap, right);
        const rid = this.pairId(heap, right);
        const ls = this.pairScore(heap, left);
        const lid = this.pairId(heap, left);
        if (best ? before(rs, rid, ls, lid) : before(ls, lid, rs, rid)) child = right;
      }
      const cs = this.pairScore(heap, child);
      const cid = this.pairId(heap, child);
      if (!(best ? before(cs, cid, s, id) : before(s, id, cs, cid))) break;
      this.setPair(heap, i, cs, cid);
      i = child;
    }
    this.setPair(heap, i, s, id);
  }

  private heapSortResults(heap: number, n: number): void {
    for (let end = n - 1; end > 0; end--) {
      const s = this.pairScore(heap, 0);
      const id = this.pairId(heap, 0);
      this.heapPop(heap, end + 1, false);
      this.setPair(heap, end, s, id);
    }
  }

  // ---- search -------------------------------------------------------------------------------

  private greedy(node: number, s: number, level: number): number {
    let changed = true;
    while (changed) {
      changed = false;
      const list = this.linksOf(node, level);
      const count = this.i32[list >> 2]!;
      for (let i = 0; i < count; i++) {
        const v = this.i32[(list >> 2) + 1 + i]!;
        const sv = this.scoring.score(0, v);
        if (sv > s) {
          s = sv;
          node = v;
          changed = true;
        }
      }
    }
    this.greedyScore = s;
    return node;
  }

  private offer(s: number, v: number, ef: number, lambda: number, admit: boolean): void {
    if (this.resultCount < ef || s >= relaxed(this.pairScore(this.result, 0), lambda)) {
      this.heapPush(this.cand, this.candCount++, s, v, true);
      if (admit) {
        this.heapPush(this.result, this.resultCount++, s, v, false);
        if (this.resultCount > ef) this.heapPop(this.result, this.resultCount--, false);
      }
    }
  }

  private searchLayer(entry: number, entryScore: number, level: number, ef: number, lambda: number, allowed: number, acorn: boolean): number {
    const epoch = this.nextEpoch();
    const marks = this.u32;
    const vbase = this.visited >> 2;
    const gathered = this.gathered;
    const scores = this.gatheredScores;
    this.candCount = 0;
    this.resultCount = 0;
    marks[vbase + entry] = epoch;
    this.heapPush(this.cand, this.candCount++, entryScore, entry, true);
    if (!this.isDead(entry) && (allowed === 0 || this.inBitset(allowed, entry))) {
      this.heapPush(this.result, this.resultCount++, entryScore, entry, false);
    }
    while (this.candCount > 0) {
      const cs = this.pairScore(this.cand, 0);
      const c = this.pairId(this.cand, 0);
      if (this.resultCount >= ef && cs < relaxed(this.pairScore(this.result, 0), lambda)) break;
      this.heapPop(this.cand, this.candCount--, true);
      // Gather the unvisited neighbours (ACORN: and two-hop ones), score them in one call, then
      // offer them in gathering order: the same order as the WebAssembly kernel's one-by-one loop.
      const list = this.linksOf(c, level);
      const count = this.i32[list >> 2]!;
      let n = 0;
      for (let i = 0; i < count; i++) {
        const v = this.i32[(list >> 2) + 1 + i]!;
        if (marks[vbase + v] === epoch) continue;
        marks[vbase + v] = epoch;
        if (!acorn || this.inBitset(allowed, v)) {
          gathered[n++] = v;
          continue;
        }
        const second = this.linksOf(v, level);
        const secondCount = this.i32[second >> 2]!;
        for (let t = 0; t < secondCount; t++) {
          const w = this.i32[(second >> 2) + 1 + t]!;
          if (marks[vbase + w] === epoch || !this.inBitset(allowed, w)) continue;
          marks[vbase + w] = epoch;
          gathered[n++] = w;
        }
      }
      if (n === 0) continue;
      this.scoring.scoreMany(0, gathered, n, scores);
      for (let i = 0; i < n; i++) {
        const v = gathered[i]!;
        const admit = !this.isDead(v) && (acorn || allowed === 0 || this.inBitset(allowed, v));
        this.offer(scores[i]!, v, ef, lambda, admit);
      }
    }
    this.heapSortResults(this.result, this.resultCount);
    return this.resultCount;
  }

  // ---- construction -------------------------------------------------------------------------

  /** The batch nodes before entry `b` of at least `level`, scored and merged into the `found` sorted results (at most `ef`). */
  private mergeMates(batch: number, b: number, level: number, ef: number, found: number): number {
    let n = found;
    const result = this.result;
    for (let i = 0; i < b; i++) {
      const at = (batch >> 2) + i * 4;
      if (this.i32[at + GRAPH_BATCH_ENTRY.level]! < level) continue;
      const v = this.i32[at + GRAPH_BATCH_ENTRY.node]!;
      const s = this.scoring.score(0, v);
      if (n === ef && !before(s, v, this.pairScore(result, n - 1), this.pairId(result, n - 1))) continue;
      let j = n < ef ? n : n - 1;
      while (j > 0 && before(s, v, this.pairScore(result, j - 1), this.pairId(result, j - 1))) {
        this.setPair(result, j, this.pairScore(result, j - 1), this.pairId(result, j - 1));
        j--;
      }
      this.setPair(result, j, s, v);
      if (n < ef) n++;
    }
    return n;
  }

  private selectNeighbors(pairs: number, n: number, limit: number, out: number): number {
    let kept = 0;
    for (let i = 0; i < n && kept < limit; i++) {
      const c = this.pairId(pairs, i);
      const sc = this.pairScore(pairs, i);
      if (kept > 0) this.scoring.setNodeQuery(1, c);
      let good = true;
      for (let j = 0; j < kept; j++) {
        if (this.scoring.score(1, this.i32[(out >> 2) + j]!) > sc) {
          good = false;
          break;
        }
      }
      if (good) this.i32[(out >> 2) + kept++] = c;
    }
    return kept;
  }

  private sortPairs(pairs: number, n: number): void {
    for (let i = 1; i < n; i++) {
      const s = this.pairScore(pairs, i);
      const id = this.pairId(pairs, i);
      let j = i - 1;
      while (j >= 0 && before(s, id, this.pairScore(pairs, j), this.pairId(pairs, j))) {
        this.setPair(pairs, j + 1, this.pairScore(pairs, j), this.pairId(pairs, j));
        j--;
      }
      this.setPair(pairs, j + 1, s, id);
    }
  }

  private reselect(node: number, level: number, n: number): void {
    const prune = this.field(C.prune);
    this.scoring.setNodeQuery(0, node);
    for (let i = 0; i < n; i++) {
      const id = this.pairId(prune, i);
      this.setPair(prune, i, this.scoring.score(0, id), id);
    }
    this.sortPairs(prune, n);
    const list = this.linksOf(node, level);
    this.i32[list >> 2] = this.selectNeighbors(prune, n, this.maxLinks(level), list + 4);
  }

  private addLink(node: number, target: number, level: number): void {
    const list = this.linksOf(node, level);
    const count = this.i32[list >> 2]!;
    if (count < this.maxLinks(level)) {
      this.i32[(list >> 2) + 1 + count] = target;
      this.i32[list >> 2] = count + 1;
      return;
    }
    const prune = this.field(C.prune);
    for (let i = 0; i < count; i++) this.setPair(prune, i, 0, this.i32[(list >> 2) + 1 + i]!);
    this.setPair(prune, count, 0, target);
    this.reselect(node, level, count + 1);
  }

  private collect(list: number, j: number, epoch: number, prune: number, n: number): number {
    const v = this.i32[(list >> 2) + 1 + j]!;
    const mark = (this.visited >> 2) + v;
    if (this.u32[mark] === epoch || this.isDead(v)) return n;
    this.u32[mark] = epoch;
    this.setPair(prune, n, 0, v);
    return n + 1;
  }
}

/** True when pair (sa, ia) comes before (sb, ib): a higher score, then a lower id. */
function before(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa > sb || (sa === sb && ia < ib);
}

function relaxed(worst: number, lambda: number): number {
  return f32(worst - f32(Math.abs(worst) * lambda));
}

/** Scores of the TypeScript kernel backend: the context's rows, in the canonical float order. */
class ArenaRowScoring implements GraphScoring {
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private f32v: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private u16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  private i8: Int8Array<ArrayBufferLike> = new Int8Array(0);
  private u8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private readonly acc = new Float64Array(16);
  private rows = 0;
  private stride = 0;
  private dim = 0;
  private kind = 0;
  private l2 = false;
  private table = 0;
  private subspaces = 0;
  /** Byte pointers of the two query vectors (float32). */
  private readonly queries = [0, 0];
  private readonly areas = [0, 0];

  constructor(private readonly arena: Arena) {}

  load(ctx: number): void {
    const buffer = this.arena.buffer;
    if (this.i32.buffer !== buffer) {
      this.i32 = new Int32Array(buffer);
      this.f32v = new Float32Array(buffer);
      this.u16 = new Uint16Array(buffer);
      this.i8 = new Int8Array(buffer);
      this.u8 = new Uint8Array(buffer);
    }
    const field = (index: number) => this.i32[(ctx >> 2) + index]!;
    this.rows = field(C.rows);
    this.stride = field(C.stride);
    this.dim = field(C.dim);
    this.kind = field(C.kind);
    this.l2 = field(C.metric) === 1;
    this.table = field(C.table);
    this.subspaces = field(C.subspaces);
    this.areas[0] = this.queries[0] = field(C.query);
    this.areas[1] = this.queries[1] = field(C.query2);
  }

  setNodeQuery(which: 0 | 1, node: number): void {
    if (isPqRowKind(this.kind)) {
      throw new UnsupportedOperationError('GraphKernels', 'link or repair', 'PQ rows are searched only; link them through a GraphWalker with the storage scorer');
    }
    const x = this.rows + node * this.stride;
    if (this.kind === GRAPH_ROW_KIND.float32) {
      this.queries[which] = x;
      return;
    }
    const out = this.areas[which]! >> 2;
    const dim = this.dim;
    if (this.kind === GRAPH_ROW_KIND.float16) {
      for (let j = 0; j < dim; j++) this.f32v[out + j] = halfToFloat(this.u16[(x >> 1) + j]!);
    } else {
      const scale = this.f32v[(x + ((dim + 3) & ~3)) >> 2]!;
      for (let j = 0; j < dim; j++) this.f32v[out + j] = f32(this.i8[x + j]! * scale);
    }
    this.queries[which] = this.areas[which]!;
  }

  scoreMany(which: 0 | 1, ids: Int32Array, count: number, out: Float32Array): void {
    for (let i = 0; i < count; i++) out[i] = this.score(which, ids[i]!);
  }

  score(which: 0 | 1, node: number): number {
    const x = this.rows + node * this.stride;
    if (isPqRowKind(this.kind)) return this.scorePq(x);
    const dim = this.dim;
    const qf = this.queries[which]! >> 2;
    const values = this.f32v;
    const scale = this.kind === GRAPH_ROW_KIND.int8 ? values[(x + ((dim + 3) & ~3)) >> 2]! : 1;
    const acc = this.acc;
    acc.fill(0);
    const d16 = dim & ~15;
    const d4 = dim & ~3;
    let j = 0;
    for (; j < d16; j += 16) {
      for (let b = 0; b < 16; b++) acc[b] = f32(acc[b]! + this.term(values[qf + j + b]!, this.element(x, j + b, scale)));
    }
    for (; j < d4; j += 4) {
      for (let b = 0; b < 4; b++) acc[b] = f32(acc[b]! + this.term(values[qf + j + b]!, this.element(x, j + b, scale)));
    }
    const v = (l: number) => f32(f32(acc[l]! + acc[4 + l]!) + f32(acc[8 + l]! + acc[12 + l]!));
    let s = f32(f32(v(0) + v(2)) + f32(v(1) + v(3)));
    for (; j < dim; j++) s = f32(s + this.term(values[qf + j]!, this.element(x, j, scale)));
    if (this.l2) return -s;
    return this.kind === GRAPH_ROW_KIND.int8 ? f32(s * scale) : s;
  }

  /** The ADC sum of the code at x, in subspace order (see `GraphKernels`). */
  private scorePq(x: number): number {
    const table = this.table >> 2;
    const values = this.f32v;
    const bytes = this.u8;
    let s = 0;
    if (this.kind === GRAPH_ROW_KIND.pq8) {
      for (let m = 0; m < this.subspaces; m++) s = f32(s + values[table + (m << 8) + bytes[x + m]!]!);
    } else {
      for (let m = 0; m < this.subspaces; m++) s = f32(s + values[table + (m << 4) + ((bytes[x + (m >> 1)]! >> ((m & 1) << 2)) & 15)]!);
    }
    return this.l2 ? -s : s;
  }

  private term(q: number, x: number): number {
    if (this.l2) {
      const t = f32(q - x);
      return f32(t * t);
    }
    return f32(q * x);
  }

  /** Row element j as the float the kernel multiplies (see the row kinds). */
  private element(x: number, j: number, scale: number): number {
    if (this.kind === GRAPH_ROW_KIND.float32) return this.f32v[(x >> 2) + j]!;
    if (this.kind === GRAPH_ROW_KIND.float16) return halfToFloat(this.u16[(x >> 1) + j]!);
    const c = this.i8[x + j]!;
    return this.l2 ? f32(c * scale) : c;
  }
}
