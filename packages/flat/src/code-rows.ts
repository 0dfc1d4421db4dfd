import { TopK, type Arena, type ArenaBlock, type Kernels } from '@quiver/core-math';

/** What the finalizer needs to free the codes; never references the owner itself. */
interface CodesHold {
  readonly arena: Arena;
  block: ArenaBlock | undefined;
}

const codesFinalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<CodesHold>((hold) => {
        if (hold.block) hold.arena.free(hold.block);
        hold.block = undefined;
      })
    : undefined;

/**
 * Fixed-width byte codes living in the kernels' arena, so the hamming / int8 kernels scan them in
 * place. Grows geometrically on append; slots are positions and never move. Call `dispose()`; a
 * FinalizationRegistry frees the block if the owner is collected without it.
 */
export class ArenaCodeRows {
  readonly rowBytes: number;
  private readonly kernels: Kernels;
  private readonly hold: CodesHold;
  private rows = 0;

  constructor(kernels: Kernels, rowBytes: number) {
    this.kernels = kernels;
    this.rowBytes = rowBytes;
    this.hold = { arena: kernels.arena, block: undefined };
    codesFinalizer?.register(this, this.hold, this);
  }

  get count(): number {
    return this.rows;
  }

  get ptr(): number {
    return this.hold.block?.ptr ?? 0;
  }

  /** Appends `codes.length / rowBytes` rows and returns the first new slot. */
  append(codes: Uint8Array | Int8Array): number {
    const { arena } = this.kernels;
    const added = codes.length / this.rowBytes;
    const needed = (this.rows + added) * this.rowBytes;
    const { hold } = this;
    if (!hold.block || hold.block.byteLength < needed) {
      const capacity = Math.max(needed, Math.floor((hold.block?.byteLength ?? 0) * 1.5));
      hold.block = hold.block ? arena.realloc(hold.block, capacity) : arena.alloc(capacity);
    }
    const first = this.rows;
    arena.u8(hold.block.ptr + first * this.rowBytes, codes.length).set(new Uint8Array(codes.buffer, codes.byteOffset, codes.length));
    this.rows += added;
    return first;
  }

  /** A copy of all rows. */
  toBytes(): Uint8Array {
    return this.rows === 0 ? new Uint8Array(0) : this.kernels.arena.u8(this.hold.block!.ptr, this.rows * this.rowBytes).slice();
  }

  dispose(): void {
    if (this.hold.block) this.kernels.arena.free(this.hold.block);
    this.hold.block = undefined;
    this.rows = 0;
  }
}

/** How code rows are compared: popcount hamming (lower is closer) or int8 dot product (higher is closer). */
export type CodeComparison = 'hamming' | 'dotI8';

/** Best-first results per query: `keys` are the raw kernel values turned higher-is-better. */
export interface CodeScanResult {
  readonly keys: Float64Array;
  readonly slots: Int32Array;
  readonly counts: Uint32Array;
}

const QUERY_BLOCK = 32;
const ROW_BLOCK = 4096;
/** A bar below every key (|key| < 2^31 for any realistic code width): admits a query's whole row. */
const NO_BAR = -(2 ** 31);

/** From this k on, hamming top-k is selected by counting rather than with heaps. */
const COUNTING_MIN_K = 64;

/**
 * Exact top-k over code rows for `m` encoded queries (`queryCodes`, `m × rowBytes` bytes), in
 * tiles of QUERY_BLOCK queries × ROW_BLOCK rows. Slots with `removed[slot] !== 0` are skipped.
 * Hamming distances are negated so that every key is higher-is-better; ties go to the lower slot.
 * After each tile the `selectAboveI32` kernel picks the keys above their query's k-th best, so
 * JavaScript only sees the few that may enter.
 */
export function scanCodeRows(
  kernels: Kernels,
  rows: ArenaCodeRows,
  comparison: CodeComparison,
  queryCodes: Uint8Array | Int8Array,
  m: number,
  k: number,
  removed: Uint8Array,
): CodeScanResult {
  if (comparison === 'hamming' && k >= COUNTING_MIN_K) return scanHammingCounting(kernels, rows, queryCodes, m, k, removed);
  const { arena } = kernels;
  const { rowBytes } = rows;
  const n = rows.count;
  const result = emptyCodeScanResult(m, k);
  const { keys, slots, counts } = result;
  if (n === 0 || m === 0) return result;
  const queryBlock = Math.min(QUERY_BLOCK, m);
  const rowBlock = Math.min(ROW_BLOCK, n);
  const tileLength = queryBlock * rowBlock;
  const queryBuf = arena.alloc(queryBlock * rowBytes);
  const tileBuf = arena.alloc(tileLength * 4);
  const barsBuf = arena.alloc(queryBlock * 4);
  const selectedBuf = arena.alloc(tileLength * 4);
  const heaps = Array.from({ length: queryBlock }, () => new TopK(k));
  const queryBytes = new Uint8Array(queryCodes.buffer, queryCodes.byteOffset, queryCodes.length);
  const hamming = comparison === 'hamming';
  try {
    for (let q0 = 0; q0 < m; q0 += queryBlock) {
      const qm = Math.min(queryBlock, m - q0);
      arena.u8(queryBuf.ptr, qm * rowBytes).set(queryBytes.subarray(q0 * rowBytes, (q0 + qm) * rowBytes));
      arena.i32(barsBuf.ptr, qm).fill(NO_BAR);
      for (let r0 = 0, rn = 0; r0 < n; r0 += rn) {
        // A short first tile fills the heaps; then each tile is as long as all rows before it (up to
        // ROW_BLOCK), so a bar from r0 rows admits about k·rn/r0 ≈ k entries of the next tile rather
        // than most of a full block when k is large (deep candidate lists for rerank).
        rn = Math.min(r0 === 0 ? Math.min(rowBlock, Math.ceil(k / 16) * 16) : Math.min(rowBlock, r0), n - r0);
        const rowsPtr = rows.ptr + r0 * rowBytes;
        if (hamming) kernels.hammingBatch(queryBuf.ptr, qm, rowsPtr, rn, rowBytes, tileBuf.ptr);
        else kernels.dotI8Batch(queryBuf.ptr, qm, rowsPtr, rn, rowBytes, tileBuf.ptr);
        // hamming writes uint32, dotI8 int32: both fit int32 (hamming < 2^31).
        const selected = kernels.selectAboveI32(tileBuf.ptr, qm, rn, barsBuf.ptr, hamming, selectedBuf.ptr, tileLength);
        if (selected === 0) continue;
        const tile = arena.i32(tileBuf.ptr, qm * rn);
        const indices = arena.u32(selectedBuf.ptr, selected);
        let a = -1;
        let rowStart = -rn;
        let heap = heaps[0]!;
        for (let e = 0; e < selected; e++) {
          const index = indices[e]!;
          while (index >= rowStart + rn) {
            a++;
            rowStart += rn;
            heap = heaps[a]!;
          }
          const key = hamming ? -tile[index]! : tile[index]!;
          const slot = r0 + index - rowStart;
          // threshold is -Infinity until the heap is full; slots arrive in increasing order, so
          // an equal key never displaces a kept one.
          if (key <= heap.threshold || removed[slot] !== 0) continue;
          heap.push(key, slot);
        }
        const bars = arena.i32(barsBuf.ptr, qm);
        for (let b = 0; b < qm; b++) if (heaps[b]!.size === k) bars[b] = heaps[b]!.threshold;
      }
      for (let a = 0; a < qm; a++) counts[q0 + a] = heaps[a]!.drainInto(keys, slots, (q0 + a) * k);
    }
  } finally {
    arena.free(selectedBuf);
    arena.free(barsBuf);
    arena.free(tileBuf);
    arena.free(queryBuf);
  }
  return result;
}

function emptyCodeScanResult(m: number, k: number): CodeScanResult {
  return { keys: new Float64Array(m * k).fill(-Infinity), slots: new Int32Array(m * k).fill(-1), counts: new Uint32Array(m) };
}

/**
 * scanCodeRows for hamming distances and deep lists (rerank candidates): distances are integers in
 * [0, bits], so per query one pass histograms them, the cut distance t is where the count reaches
 * k, and a second pass places every slot closer than t plus the lowest slots at exactly t — the
 * same result as the heaps (ties to the lower slot) in O(n + bits) instead of ~k·log k per tile.
 */
function scanHammingCounting(kernels: Kernels, rows: ArenaCodeRows, queryCodes: Uint8Array | Int8Array, m: number, k: number, removed: Uint8Array): CodeScanResult {
  const { arena } = kernels;
  const { rowBytes } = rows;
  const n = rows.count;
  const result = emptyCodeScanResult(m, k);
  const { keys, slots, counts } = result;
  if (n === 0 || m === 0) return result;
  const bits = rowBytes * 8;
  const histogram = new Uint32Array(bits + 1);
  const next = new Uint32Array(bits + 2); // next[bits + 1]: the cut when every live row fits
  const queryBytes = new Uint8Array(queryCodes.buffer, queryCodes.byteOffset, queryCodes.length);
  const queryBuf = arena.alloc(rowBytes);
  const distanceBuf = arena.alloc(n * 4);
  try {
    for (let q = 0; q < m; q++) {
      arena.u8(queryBuf.ptr, rowBytes).set(queryBytes.subarray(q * rowBytes, (q + 1) * rowBytes));
      kernels.hamming(queryBuf.ptr, rows.ptr, n, rowBytes, distanceBuf.ptr);
      const distances = arena.u32(distanceBuf.ptr, n);
      histogram.fill(0);
      for (let slot = 0; slot < n; slot++) if (removed[slot] === 0) histogram[distances[slot]!]!++;
      // next[d]: where the first slot at distance d goes; the cut t takes only k - (rows closer) slots.
      let closer = 0;
      let cut = 0;
      for (; cut <= bits && closer + histogram[cut]! < k; cut++) {
        next[cut] = closer;
        closer += histogram[cut]!;
      }
      next[cut] = closer;
      const count = Math.min(k, closer + (cut <= bits ? histogram[cut]! : 0));
      const base = q * k;
      for (let slot = 0; slot < n; slot++) {
        const distance = distances[slot]!;
        if (distance > cut || removed[slot] !== 0 || next[distance]! >= count) continue;
        const at = base + next[distance]!++;
        keys[at] = -distance;
        slots[at] = slot;
      }
      counts[q] = count;
    }
  } finally {
    arena.free(distanceBuf);
    arena.free(queryBuf);
  }
  return result;
}
