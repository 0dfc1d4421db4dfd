/**
 * Which stored row holds which slot, once the index stored its rows in another order than their
 * slots (grouped by coarse cluster, see `TurboQuantIndex.prepare`). Slots stay the public,
 * positional ones; rows are where the codes and originals physically are. Both maps are updated in
 * O(1) by appends and `swapRemove`; the row moves themselves are left to `PendingMoves`.
 */
export class RowOrder {
  /** Row -> slot, for rows [0, count). */
  slotOfRow: Int32Array;
  /** Slot -> row, for slots [0, count). */
  rowOfSlot: Int32Array;

  /** `slotOfRow[i]` = the slot stored in row i (a permutation of [0, n)). */
  constructor(slotOfRow: Int32Array) {
    this.slotOfRow = slotOfRow;
    this.rowOfSlot = new Int32Array(slotOfRow.length);
    slotOfRow.forEach((slot, row) => {
      this.rowOfSlot[slot] = row;
    });
  }

  /** Slot `slot` is stored in row `row` (both appended at the end). */
  append(slot: number, row: number): void {
    if (slot >= this.rowOfSlot.length || row >= this.slotOfRow.length) this.grow(Math.max(slot, row) + 1);
    this.rowOfSlot[slot] = row;
    this.slotOfRow[row] = slot;
  }

  /**
   * `swapRemove(slot)` with `last` the last slot (and row): the last slot's vector becomes `slot`'s,
   * and the last row must move into the row `slot` held. Returns that freed row (the move's target;
   * equal to `last` when nothing moves). The caller records the row move.
   */
  remove(slot: number, last: number): number {
    const freed = this.rowOfSlot[slot]!;
    const moved = this.rowOfSlot[last]!;
    this.rowOfSlot[slot] = moved;
    this.slotOfRow[moved] = slot;
    if (freed !== last) {
      const owner = this.slotOfRow[last]!;
      this.rowOfSlot[owner] = freed;
      this.slotOfRow[freed] = owner;
    }
    return freed;
  }

  /** Rows listed in new order: new row i takes old row `rows[i]`. */
  permute(rows: Int32Array): void {
    const slotOfRow = new Int32Array(Math.max(rows.length, this.slotOfRow.length));
    rows.forEach((old, i) => {
      slotOfRow[i] = this.slotOfRow[old]!;
    });
    this.slotOfRow = slotOfRow;
    rows.forEach((_, i) => {
      this.rowOfSlot[slotOfRow[i]!] = i;
    });
  }

  private grow(min: number): void {
    const capacity = Math.max(min, Math.ceil(this.slotOfRow.length * 1.5), 64);
    const slotOfRow = new Int32Array(capacity);
    slotOfRow.set(this.slotOfRow);
    const rowOfSlot = new Int32Array(capacity);
    rowOfSlot.set(this.rowOfSlot);
    this.slotOfRow = slotOfRow;
    this.rowOfSlot = rowOfSlot;
  }
}
