import { GRAPH_CONTEXT, GRAPH_CONTEXT_BYTES, type Arena, type ArenaBlock } from '@quiver/core-math';
import type { GraphMemory } from './graph-memory.js';

const C = GRAPH_CONTEXT;
/** Context fields that belong to one thread (its scratch); every other field is the graph's. */
const SCRATCH_FIELDS = [C.visited, C.epoch, C.cand, C.result, C.query, C.query2, C.select, C.prune] as const;

/**
 * One thread's own kernel context over a shared `GraphMemory`: the graph's fields (rows, links,
 * tombstones, entry point) copied in by `prepare`, and private scratch (visited marks, heaps, query
 * areas), so several threads can search or plan insertions over the same graph at once.
 *
 * Only the owning (main) thread allocates: call `prepare` before handing the context to a worker,
 * and never while a task of that worker is running.
 */
export class GraphScratch {
  private readonly arena: Arena;
  private readonly graph: GraphMemory;
  private readonly ctxBlock: ArenaBlock;
  private readonly fixed: ArenaBlock[];
  private visited: ArenaBlock | undefined;
  private cand: ArenaBlock | undefined;
  private result: ArenaBlock | undefined;
  private nodeCapacity = 0;
  private resultCapacity = 0;
  private epoch = 0;

  constructor(graph: GraphMemory) {
    this.graph = graph;
    this.arena = graph.arena;
    const { dim, m0 } = graph;
    this.ctxBlock = this.arena.allocZeroed(GRAPH_CONTEXT_BYTES);
    // query, query2, select, prune: sized as GraphMemory sizes its own.
    this.fixed = [this.arena.alloc(dim * 4), this.arena.alloc(dim * 4), this.arena.alloc((m0 + 1) * 4), this.arena.alloc((2 * m0 + 2) * 8)];
  }

  get ctx(): number {
    return this.ctxBlock.ptr;
  }

  /** Copies the graph's current fields in and makes room for every node and `ef` results. */
  prepare(ef: number): void {
    const nodes = this.graph.nodes;
    if (nodes > this.nodeCapacity) {
      const target = Math.max(nodes, Math.ceil(this.nodeCapacity * 1.5), 64);
      // Fresh zeroed marks: older epochs are forgotten, so the epoch restarts too.
      if (this.visited) this.arena.free(this.visited);
      if (this.cand) this.arena.free(this.cand);
      this.visited = this.arena.allocZeroed(target * 4);
      this.cand = this.arena.alloc((target + 1) * 8);
      this.nodeCapacity = target;
      this.epoch = 0;
    } else {
      this.epoch = this.field(C.epoch);
    }
    if (ef + 1 > this.resultCapacity) {
      if (this.result) this.arena.free(this.result);
      this.resultCapacity = Math.max(ef + 1, 2 * this.resultCapacity);
      this.result = this.arena.alloc(this.resultCapacity * 8);
    }
    const view = this.arena.i32(this.ctxBlock.ptr, GRAPH_CONTEXT_BYTES / 4);
    view.set(this.arena.i32(this.graph.ctx, GRAPH_CONTEXT_BYTES / 4));
    const [query, query2, select, prune] = this.fixed;
    const values = [this.visited!.ptr, this.epoch, this.cand!.ptr, this.result!.ptr, query!.ptr, query2!.ptr, select!.ptr, prune!.ptr];
    SCRATCH_FIELDS.forEach((field, i) => (view[field] = values[i]!));
  }

  /** Bytes of arena memory held. */
  get byteLength(): number {
    let total = this.ctxBlock.byteLength;
    for (const block of [...this.fixed, this.visited, this.cand, this.result]) total += block?.byteLength ?? 0;
    return total;
  }

  dispose(): void {
    for (const block of [this.ctxBlock, ...this.fixed, this.visited, this.cand, this.result]) if (block) this.arena.free(block);
    this.visited = this.cand = this.result = undefined;
  }

  private field(index: number): number {
    return this.arena.i32(this.ctxBlock.ptr, GRAPH_CONTEXT_BYTES / 4)[index]!;
  }
}
