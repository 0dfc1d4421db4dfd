/**
 * The row moves of `swapRemove` not yet applied to the stored codes. A move in the blocked scan
 * layout touches one byte in each of `positions / 2` cache lines, so `swapRemove` only records it
 * here in O(1) and the index applies all pending moves in one batch before anything reads rows in
 * bulk (search, add, file output, prepare).
 *
 * Invariant, with `count` the live slots: a slot below `count` holds its vector in row `rowOf(slot)`,
 * which is the slot itself unless a move is pending; pending source rows are distinct and all at or
 * past `count`. So the pending moves never overwrite each other's sources and apply in any order.
 */
export class PendingMoves {
  /** Slot -> the row holding its vector, for slots whose vector is not in their own row. */
  private readonly sources = new Map<number, number>();

  get size(): number {
    return this.sources.size;
  }

  /** The row that holds `slot`'s vector. */
  rowOf(slot: number): number {
    return this.sources.get(slot) ?? slot;
  }

  /** Records `swapRemove(slot)` with `last` the last live slot: `last`'s vector becomes `slot`'s. */
  remove(slot: number, last: number): void {
    if (slot !== last) this.sources.set(slot, this.rowOf(last));
    this.sources.delete(last);
  }

  /** The pending moves as (from row, to row) pairs in target order (blocks are then visited in address order); forgets them. */
  take(): Int32Array {
    const targets = [...this.sources.keys()].sort((a, b) => a - b);
    const pairs = new Int32Array(targets.length * 2);
    targets.forEach((slot, i) => {
      pairs[2 * i] = this.sources.get(slot)!;
      pairs[2 * i + 1] = slot;
    });
    this.sources.clear();
    return pairs;
  }

  clear(): void {
    this.sources.clear();
  }
}
