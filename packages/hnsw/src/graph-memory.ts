import { CapacityError, GRAPH_CONTEXT, GRAPH_CONTEXT_BYTES, type Arena, type ArenaBlock } from '@quiver/core-math';
import type { GraphRows } from './row-storage.js';

const C = GRAPH_CONTEXT;
const MIN_GROWTH_NODES = 64;
/** Slots are int32, and so are the graph's node ids. */
export const MAX_NODES = 0x7fffffff;
/** Levels above this are not assigned (a level-31 node is already 1 in 16^31). */
export const MAX_LEVEL = 31;

/**
 * The graph of an HNSW index in arena memory, in the layout the graph kernels read (see
 * `GraphKernels` in core-math): the kernel context, level-0 links (`m0 + 1` int32 per node), upper
 * link blocks (`m + 1` int32 per node and level), tombstones, and the per-search scratch (visited
 * marks, heaps, query vectors). Levels stay on the JavaScript heap.
 *
 * Nothing here allocates per search: scratch grows only with the node count or a larger `ef`.
 */
export class GraphMemory {
  readonly arena: Arena;
  readonly m: number;
  readonly m0: number;
  readonly dim: number;
  /** Level of each node (0 = level 0 only). */
  levels = new Uint8Array(0);
  private readonly ctxBlock: ArenaBlock;
  private links0: ArenaBlock | undefined;
  private upperIndex: ArenaBlock | undefined;
  private visited: ArenaBlock | undefined;
  private dead: ArenaBlock | undefined;
  private cand: ArenaBlock | undefined;
  private upper: ArenaBlock | undefined;
  private result: ArenaBlock | undefined;
  private readonly query: ArenaBlock;
  private readonly query2: ArenaBlock;
  private readonly select: ArenaBlock;
  private readonly prune: ArenaBlock;
  private capacityNodes = 0;
  private nodeCount = 0;
  private upperBlocks = 0;
  private upperCapacity = 0;
  private resultCapacity = 0;
  /** Whether the kernels see the tombstones (left off until the first removal: one test less per node). */
  private deadActive = false;

  constructor(arena: Arena, m: number, m0: number, dim: number, metric: 'dot' | 'l2') {
    this.arena = arena;
    this.m = m;
    this.m0 = m0;
    this.dim = dim;
    this.ctxBlock = arena.allocZeroed(GRAPH_CONTEXT_BYTES);
    this.query = arena.alloc(dim * 4);
    this.query2 = arena.alloc(dim * 4);
    this.select = arena.alloc((m0 + 1) * 4);
    this.prune = arena.alloc((2 * m0 + 2) * 8);
    this.set(C.dim, dim);
    this.set(C.metric, metric === 'l2' ? 1 : 0);
    this.set(C.m, m);
    this.set(C.m0, m0);
    this.set(C.entry, -1);
    this.set(C.query, this.query.ptr);
    this.set(C.query2, this.query2.ptr);
    this.set(C.select, this.select.ptr);
    this.set(C.prune, this.prune.ptr);
    this.ensureResultCapacity(64);
  }

  /** Pointer of the kernel context. */
  get ctx(): number {
    return this.ctxBlock.ptr;
  }

  get nodes(): number {
    return this.nodeCount;
  }

  get entry(): number {
    return this.get(C.entry);
  }

  get maxLevel(): number {
    return this.get(C.maxLevel);
  }

  setEntry(node: number, level: number): void {
    this.set(C.entry, node);
    this.set(C.maxLevel, level);
  }

  /** Points the context at the storage's rows (call before every kernel call: appends move them). */
  setRows(rows: GraphRows): void {
    this.set(C.rows, rows.ptr);
    this.set(C.stride, rows.stride);
    this.set(C.kind, rows.kind);
    this.set(C.table, rows.table ?? 0);
    this.set(C.subspaces, rows.subspaces ?? 0);
  }

  /** The query area as a float32 view (valid until the next allocation). */
  queryView(): Float32Array {
    return this.arena.f32(this.query.ptr, this.dim);
  }

  /** The `count` (score, id) pairs the last search left in the result area. */
  resultPairs(count: number): { scores: Float32Array; ids: Int32Array } {
    const ptr = this.result!.ptr;
    const f = this.arena.f32(ptr, 2 * count);
    const i = this.arena.i32(ptr, 2 * count);
    const scores = new Float32Array(count);
    const ids = new Int32Array(count);
    for (let r = 0; r < count; r++) {
      scores[r] = f[2 * r]!;
      ids[r] = i[2 * r + 1]!;
    }
    return { scores, ids };
  }

  /** Makes room for `ef` results. */
  ensureResultCapacity(ef: number): void {
    if (ef + 1 <= this.resultCapacity) return;
    const capacity = Math.max(ef + 1, this.resultCapacity * 2);
    if (this.result) this.arena.free(this.result);
    this.result = this.arena.alloc(capacity * 8);
    this.resultCapacity = capacity;
    this.set(C.result, this.result.ptr);
  }

  /**
   * Adds a node with `level` upper levels (links empty, not yet linked by a kernel); returns its id.
   */
  addNode(level: number): number {
    const node = this.nodeCount;
    if (node + 1 > MAX_NODES) throw new CapacityError(`an HNSW graph holds at most ${MAX_NODES} nodes`);
    this.reserveNodes(node + 1);
    const upperIndex = this.arena.i32(this.upperIndex!.ptr, node + 1);
    if (level > 0) {
      upperIndex[node] = this.allocUpper(level);
    } else {
      upperIndex[node] = -1;
    }
    this.levels[node] = level;
    this.nodeCount = node + 1;
    this.set(C.nodes, this.nodeCount);
    return node;
  }

  isDead(node: number): boolean {
    return (this.arena.u32(this.dead!.ptr, (node >>> 5) + 1)[node >>> 5]! & (1 << (node & 31))) !== 0;
  }

  markDead(node: number): void {
    this.arena.u32(this.dead!.ptr, (node >>> 5) + 1)[node >>> 5]! |= 1 << (node & 31);
    this.deadActive = true;
    this.set(C.dead, this.dead!.ptr);
  }

  /** The tombstone words over the current nodes (a copy). */
  deadWords(): Uint32Array {
    return this.dead ? this.arena.u32(this.dead.ptr, Math.ceil(this.nodeCount / 32)).slice() : new Uint32Array(0);
  }

  /** The link list of a node at a level (a copy). */
  links(node: number, level: number): Int32Array {
    const list = this.linkList(node, level);
    return list.slice(1, 1 + list[0]!);
  }

  /** Level-0 links as stored: `nodes × (m0 + 1)` int32 (a view, valid until the next allocation). */
  links0View(): Int32Array {
    return this.links0 ? this.arena.i32(this.links0.ptr, this.nodeCount * (this.m0 + 1)) : new Int32Array(0);
  }

  /** Upper blocks as stored: `blocks × (m + 1)` int32 (a view). */
  upperView(): Int32Array {
    return this.upper ? this.arena.i32(this.upper.ptr, this.upperBlocks * (this.m + 1)) : new Int32Array(0);
  }

  /** Per node the first upper block or −1 (a view). */
  upperIndexView(): Int32Array {
    return this.upperIndex ? this.arena.i32(this.upperIndex.ptr, this.nodeCount) : new Int32Array(0);
  }

  /**
   * Installs a loaded graph: levels, level-0 links, upper blocks (in node order, as `toBytes`
   * writes them) and tombstones; every array was validated by the caller.
   */
  restore(levels: Uint8Array, links0: Int32Array, upper: Int32Array, deadWords: Uint32Array, entry: number, maxLevel: number): void {
    const n = levels.length;
    this.reserveNodes(n);
    this.levels.set(levels);
    this.arena.i32(this.links0!.ptr, links0.length).set(links0);
    const upperIndex = this.arena.i32(this.upperIndex!.ptr, n);
    let blocks = 0;
    for (let node = 0; node < n; node++) {
      upperIndex[node] = levels[node]! > 0 ? blocks : -1;
      blocks += levels[node]!;
    }
    this.reserveUpper(blocks);
    this.upperBlocks = blocks;
    if (upper.length > 0) this.arena.i32(this.upper!.ptr, upper.length).set(upper);
    this.arena.u32(this.dead!.ptr, deadWords.length).set(deadWords);
    this.deadActive = deadWords.some((word) => word !== 0);
    this.set(C.dead, this.deadActive ? this.dead!.ptr : 0);
    this.nodeCount = n;
    this.set(C.nodes, n);
    this.setEntry(entry, maxLevel);
  }

  /** Frees every block. */
  dispose(): void {
    for (const block of [this.links0, this.upperIndex, this.visited, this.dead, this.cand, this.upper, this.result]) {
      if (block) this.arena.free(block);
    }
    for (const block of [this.ctxBlock, this.query, this.query2, this.select, this.prune]) this.arena.free(block);
    this.links0 = this.upperIndex = this.visited = this.dead = this.cand = this.upper = this.result = undefined;
  }

  /** Bytes of arena memory the graph uses (links, tombstones, scratch). */
  get byteLength(): number {
    let total = GRAPH_CONTEXT_BYTES;
    for (const block of [this.links0, this.upperIndex, this.visited, this.dead, this.cand, this.upper, this.result]) {
      total += block?.byteLength ?? 0;
    }
    return total;
  }

  private linkList(node: number, level: number): Int32Array {
    if (level === 0) return this.arena.i32(this.links0!.ptr + node * (this.m0 + 1) * 4, this.m0 + 1);
    const block = this.arena.i32(this.upperIndex!.ptr, node + 1)[node]! + level - 1;
    return this.arena.i32(this.upper!.ptr + block * (this.m + 1) * 4, this.m + 1);
  }

  private allocUpper(level: number): number {
    const first = this.upperBlocks;
    this.reserveUpper(first + level);
    this.arena.i32(this.upper!.ptr + first * (this.m + 1) * 4, level * (this.m + 1)).fill(0);
    this.upperBlocks = first + level;
    return first;
  }

  private reserveUpper(blocks: number): void {
    if (blocks <= this.upperCapacity) return;
    const target = Math.max(blocks, Math.ceil(this.upperCapacity * 1.5), MIN_GROWTH_NODES);
    const bytes = target * (this.m + 1) * 4;
    this.upper = this.upper ? this.arena.realloc(this.upper, bytes) : this.arena.alloc(bytes);
    this.upperCapacity = target;
    this.set(C.upper, this.upper.ptr);
  }

  /** Grows every per-node array to hold `needed` nodes; new links and marks are zero. */
  reserveNodes(needed: number): void {
    if (needed <= this.capacityNodes) return;
    const old = this.capacityNodes;
    const target = Math.max(needed, Math.ceil(old * 1.5), MIN_GROWTH_NODES);
    const grow = (block: ArenaBlock | undefined, bytesPerNode: number, extra = 0): ArenaBlock => {
      const bytes = target * bytesPerNode + extra;
      const next = block ? this.arena.realloc(block, bytes) : this.arena.alloc(bytes);
      const from = old * bytesPerNode + (block ? extra : 0);
      this.arena.u8(next.ptr + from, bytes - from).fill(0);
      return next;
    };
    this.links0 = grow(this.links0, (this.m0 + 1) * 4);
    this.upperIndex = grow(this.upperIndex, 4);
    this.visited = grow(this.visited, 4);
    this.cand = grow(this.cand, 8, 8);
    // The tombstone bitset: whole words, so grow by words.
    const words = Math.ceil(target / 32);
    const oldWords = Math.ceil(old / 32);
    const dead = this.dead ? this.arena.realloc(this.dead, words * 4) : this.arena.alloc(words * 4);
    this.arena.u8(dead.ptr + oldWords * 4, (words - oldWords) * 4).fill(0);
    this.dead = dead;
    const levels = new Uint8Array(target);
    levels.set(this.levels.subarray(0, this.nodeCount));
    this.levels = levels;
    this.capacityNodes = target;
    this.set(C.links0, this.links0.ptr);
    this.set(C.upperIndex, this.upperIndex.ptr);
    this.set(C.visited, this.visited.ptr);
    this.set(C.cand, this.cand.ptr);
    this.set(C.dead, this.deadActive ? this.dead.ptr : 0);
  }

  private get(field: number): number {
    return this.arena.i32(this.ctxBlock.ptr, GRAPH_CONTEXT_BYTES / 4)[field]!;
  }

  private set(field: number, value: number): void {
    this.arena.i32(this.ctxBlock.ptr, GRAPH_CONTEXT_BYTES / 4)[field] = value;
  }
}
