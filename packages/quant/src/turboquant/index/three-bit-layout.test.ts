import { getKernels, lutBlockBytes, lutLaneByte, LUT_BLOCK, SlotBitset, wasmAvailable, type Arena, type KernelChoice } from '@quiver/core-math';
import { gaussianMixture } from '@quiver/testkit';
import { describe, expect, it } from 'vitest';
import { TurboQuantCodec } from '../turboquant-codec.js';
import { lutSearch, type LutScanData, type LutSearchOptions } from './lut-search.js';
import { TurboQuantIndex } from './turboquant-index.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];

/**
 * 3-bit codes are stored in core-math's 3-bit layout (3 bits per coordinate). These tests hold it to
 * the nibble layout it replaced (one 3-bit code per nibble, scanned by `lutScanBlocks`): the same
 * tables over the same codes must give the same scores and slots.
 */
describe('TurboQuantIndex 3-bit layout', () => {
  for (const kernels of backends) {
    it(`searches exactly as the same codes in nibbles, early exit, masks and shortlists included (${kernels} kernels)`, () => {
      const dim = 200; // padded to 200: a partial last stage, 25 units
      const vectors = gaussianMixture({ n: 1500, dim, clusters: 8, seed: 4 });
      const queries = gaussianMixture({ n: 10, dim, clusters: 8, seed: 4, sampleSeed: 5 });
      const index = new TurboQuantIndex({ dim, bitWidth: 3, metric: 'l2', kernels });
      index.add(vectors);
      for (const slot of [3, 700, 1200, 5]) index.swapRemove(slot);
      const data = index.scanData();
      expect(data.threeBit).toBe(true);
      const backend = getKernels(kernels);
      const nibbles = nibbleCopy(backend.arena, index, data);
      try {
        const mask = SlotBitset.fromSlots(data.count, [...Array(data.count).keys()].filter((s) => s % 3 === 0));
        const runs: [number | false, Omit<LutSearchOptions, 'scratch'>][] = [
          [4, { shortlist: 20, exitBar: 'k', correct: true }],
          [0.5, { shortlist: 40, exitBar: 'shortlist', correct: false }],
          [false, { shortlist: 15, exitBar: 'k', correct: true, maskWords: mask.words }],
          [1, { shortlist: 30, exitBar: 'k', correct: true, maskWords: mask.words, minScore: -1e9 }],
        ];
        for (const [earlyExit, options] of runs) {
          const tables = index.queryTables(queries, 10, earlyExit);
          const expected = lutSearch(backend, { ...data, codesPtr: nibbles.ptr, threeBit: false }, tables, 10, options);
          expect(lutSearch(backend, data, tables, 10, options)).toEqual(expected);
        }
        // And the index's own search, which goes through the same scan.
        const tables = index.queryTables(queries, 10, 4);
        const shortlist = 10 + Math.max(8, 10 >> 1);
        expect(index.search(queries, 10)).toEqual(lutSearch(backend, { ...data, codesPtr: nibbles.ptr, threeBit: false }, tables, 10, { shortlist, exitBar: 'k', correct: true }));
      } finally {
        backend.arena.free(nibbles);
        index.dispose();
      }
    });
  }

  it('gives bit-identical results on both backends, after prepare() and removals', () => {
    if (backends.length < 2) return;
    const dim = 136;
    const vectors = gaussianMixture({ n: 2000, dim, clusters: 8, seed: 9 });
    const queries = gaussianMixture({ n: 12, dim, clusters: 8, seed: 9, sampleSeed: 2 });
    const [js, wasm] = backends.map((kernels) => {
      const index = new TurboQuantIndex({ dim, bitWidth: 3, metric: 'cosine', kernels });
      index.add(vectors);
      index.prepare();
      for (const slot of [0, 17, 1500, 33]) index.swapRemove(slot);
      return index;
    });
    expect(wasm!.packedCodes()).toEqual(js!.packedCodes());
    expect(wasm!.search(queries, 20)).toEqual(js!.search(queries, 20));
    const filter = SlotBitset.fromSlots(1996, [2, 9, 800, 1995]);
    expect(wasm!.search(queries, 3, { filter })).toEqual(js!.search(queries, 3, { filter }));
    js!.dispose();
    wasm!.dispose();
  });

  it('stores exactly dim × 3 / 8 bytes of codes per vector and reads them back byte-identical', () => {
    const dim = 1536;
    const vectors = gaussianMixture({ n: 100, dim, clusters: 4, seed: 1 });
    const index = new TurboQuantIndex({ dim, bitWidth: 3 });
    const empty = new TurboQuantIndex({ dim, bitWidth: 3 });
    expect(index.bytesPerVector).toBe((dim * 3) / 8 + 4);
    index.add(vectors.subarray(0, 64 * dim));
    expect(index.bytesHeld - empty.bytesHeld).toBe(64 * ((dim * 3) / 8 + 4));
    index.add(vectors.subarray(64 * dim));
    const expected = new TurboQuantCodec({ dim, bitWidth: 3 }).encode(vectors);
    expect(index.packedCodes().codes).toEqual(expected.codes);
    empty.dispose();
    index.dispose();
  });
});

/** The index's 3-bit codes (rows = slots: no prepare()) in the nibble layout, in the kernels' arena. */
function nibbleCopy(arena: Arena, index: TurboQuantIndex, data: LutScanData) {
  const dim = data.positions;
  const blockBytes = lutBlockBytes(dim);
  const block = arena.alloc(Math.ceil(data.count / LUT_BLOCK) * blockBytes);
  const { codes } = index.packedCodes();
  const planeBytes = dim / 8;
  const bytes = arena.u8(block.ptr, block.byteLength);
  for (let v = 0; v < data.count; v++) {
    const row = codes.subarray(v * 3 * planeBytes, (v + 1) * 3 * planeBytes);
    const code = (d: number) => {
      let c = 0;
      for (let p = 0; p < 3; p++) c |= ((row[p * planeBytes + (d >> 3)]! >> (7 - (d & 7))) & 1) << p;
      return c;
    };
    const at = (v >> 5) * blockBytes + lutLaneByte(v & 31);
    for (let g = 0; g < dim / 2; g++) bytes[at + g * 32] = (code(2 * g) << 4) | code(2 * g + 1);
  }
  return block;
}
