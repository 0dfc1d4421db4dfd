/**
 * Code lookup: the code of x is the number of boundaries strictly below x.
 *
 * A uniform grid of cells over the boundaries' range answers almost every lookup with one table
 * read. The cell index `clamp(floor((x - low) * cellsPerUnit), 0, cells - 1)` is a monotone
 * function of x, computed identically for boundaries and values, so every boundary in a lower cell
 * is below x and every boundary in a higher cell is above it. Each cell stores the number of
 * boundaries in lower cells, flagged when the cell itself holds a boundary; only flagged cells
 * compare x against their own boundaries. The result is exact whatever the grid's rounding.
 */
const HOLDS_BOUNDARY = 0x8000;

export class BoundaryGrid {
  private readonly boundaries: Float32Array;
  private readonly low: number;
  private readonly cellsPerUnit: number;
  private readonly lastCell: number;
  private readonly cells: Uint16Array;

  constructor(boundaries: Float32Array) {
    this.boundaries = boundaries;
    const n = boundaries.length;
    this.low = boundaries[0]!;
    const span = boundaries[n - 1]! - this.low;
    const cellCount = span > 0 ? 64 * (n + 1) : 1;
    this.cellsPerUnit = span > 0 ? cellCount / span : 0;
    this.lastCell = cellCount - 1;
    this.cells = new Uint16Array(cellCount);
    let k = 0;
    for (let cell = 0; cell < cellCount; cell++) {
      const below = k;
      while (k < n && this.cellOf(boundaries[k]!) === cell) k++;
      this.cells[cell] = below | (k > below ? HOLDS_BOUNDARY : 0);
    }
  }

  /** Writes the code of `values[d]` to `codes[d]` for d in [0, n). */
  codesOf(values: Float32Array, codes: Uint8Array, n: number): void {
    const boundaries = this.boundaries;
    const low = this.low;
    const perUnit = this.cellsPerUnit;
    const lastCell = this.lastCell;
    const cells = this.cells;
    for (let d = 0; d < n; d++) {
      const x = values[d]!;
      const t = (x - low) * perUnit;
      const entry = cells[t > 0 ? (t < lastCell ? t | 0 : lastCell) : 0]!;
      let code = entry & ~HOLDS_BOUNDARY;
      if (entry & HOLDS_BOUNDARY) {
        while (code < boundaries.length && boundaries[code]! < x) code++;
      }
      codes[d] = code;
    }
  }

  private cellOf(x: number): number {
    const t = (x - this.low) * this.cellsPerUnit;
    return t > 0 ? (t < this.lastCell ? t | 0 : this.lastCell) : 0;
  }
}
