import { describe, expect, it } from 'vitest';
import { TurbovecCodeLayout } from './code-layout.js';
import { referenceSeqRow, rng } from '../../test/turbovec/helpers.js';

describe('TurbovecCodeLayout', () => {
  for (const bits of [2, 3, 4]) {
    for (const dim of [8, 24, 64]) {
      it(`matches the bit-by-bit reference at ${bits} bits, dim ${dim}`, () => {
        const next = rng(bits * 100 + dim);
        const count = 45;
        const layout = new TurbovecCodeLayout(dim, bits);
        const packed = new Uint8Array(count * layout.packedRow).map(() => next() & 0xff);
        expect(layout.seqRow).toBe(bits === 2 ? dim / 4 : dim / 2);
        const blocked = layout.seqBlocked(packed, count);
        expect(blocked.length).toBe(64 * layout.seqRow);
        for (let r = 0; r < count; r++) {
          const want = referenceSeqRow(packed, r, dim, bits);
          const got = want.map((_, g) => blocked[(Math.floor(r / 32) * layout.seqRow + g) * 32 + (r % 32)]);
          expect(got).toEqual(want);
        }
        // Dead lanes of the last block are zero.
        for (let g = 0; g < layout.seqRow; g++) for (let lane = count % 32; lane < 32; lane++) expect(blocked[(layout.seqRow + g) * 32 + lane]).toBe(0);
        // Round trip; for 3-bit the unused top bit of each nibble never leaks back.
        expect(Buffer.from(layout.packedFromSeqBlocked(blocked, count)).equals(Buffer.from(packed))).toBe(true);
      });
    }
  }

  it('ignores the spare nibble bit of 3-bit sequential bytes, as turbovec does', () => {
    const layout = new TurbovecCodeLayout(8, 3);
    const seq = new Uint8Array(32 * 4).fill(0xff);
    const packed = layout.packedFromSeqBlocked(seq, 1);
    expect(Array.from(packed)).toEqual([0xff, 0xff, 0xff]);
  });
});
