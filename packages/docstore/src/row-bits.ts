/**
 * Sets of document rows as plain bitsets (`Uint32Array`, bit `r & 31` of word `r >>> 5`), the form
 * filters compile to before they become slot allowlists.
 */
export type RowBits = Uint32Array;

export function emptyRows(rowCount: number): RowBits {
  return new Uint32Array(Math.ceil(rowCount / 32));
}

export function hasRow(bits: RowBits, row: number): boolean {
  return (bits[row >>> 5]! & (1 << (row & 31))) !== 0;
}

export function addRow(bits: RowBits, row: number): void {
  bits[row >>> 5]! |= 1 << (row & 31);
}

export function removeRow(bits: RowBits, row: number): void {
  bits[row >>> 5]! &= ~(1 << (row & 31));
}

/** `target &= other`, in place. */
export function intersectRows(target: RowBits, other: RowBits): void {
  for (let i = 0; i < target.length; i++) target[i]! &= other[i]!;
}

/** `target |= other`, in place. */
export function uniteRows(target: RowBits, other: RowBits): void {
  for (let i = 0; i < target.length; i++) target[i]! |= other[i]!;
}

export function countRows(bits: RowBits): number {
  let total = 0;
  for (let i = 0; i < bits.length; i++) {
    let x = bits[i]!;
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    total += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  }
  return total;
}

/** Calls `visit` for each row in the set, ascending. */
export function forEachRow(bits: RowBits, visit: (row: number) => void): void {
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w]!;
    while (word !== 0) {
      const bit = 31 - Math.clz32(word & -word);
      visit(w * 32 + bit);
      word &= word - 1;
    }
  }
}
