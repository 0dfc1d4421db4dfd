import { describe, expect, it } from 'vitest';
import { Arena, createKernels, wasmAvailable } from '@quiver/core-math';
import {
  TURBOVEC_ENCODE_GOLDEN,
  TURBOVEC_FINGERPRINT_ROWS,
  turbovecCellSeed,
  turbovecFingerprint,
  turbovecLcgVectors,
} from '@quiver/io-formats';
import { TurboQuantCodec, type TurboQuantBitWidth } from './turboquant-codec.js';

const hex = (h: bigint) => h.toString(16).padStart(16, '0');

/**
 * turbovec 1.0's `tests/encode_fingerprint.rs`: for each cell, `lcg_vectors(2000, dim, cell_seed)`,
 * `calibrate` on all rows, `add` all rows, then FNV-1a 64 of six stages. The fixture generator,
 * hashes and golden table live in io-formats (`turbovec/fingerprint.ts`), which also writes the v7
 * container the `file` column hashes; this test feeds it the parts our codec produced.
 */
const BACKENDS = wasmAvailable() ? (['js', 'wasm'] as const) : (['js'] as const);

describe.each(BACKENDS)('encode fingerprint: byte-identical to turbovec 1.0 (%s kernels)', (backend) => {
  const kernels = createKernels(new Arena(), backend);
  for (const [dim, bits, golden] of TURBOVEC_ENCODE_GOLDEN) {
    it(`dim=${dim} bits=${bits}: boundaries, centroids, calibration, codes, scales, file`, () => {
      const vectors = turbovecLcgVectors(TURBOVEC_FINGERPRINT_ROWS, dim, turbovecCellSeed(dim, bits));
      const codec = new TurboQuantCodec({ dim, bitWidth: bits as TurboQuantBitWidth, kernels });
      const calibration = codec.fitCalibration(vectors);
      const { codes, scales } = codec.encode(vectors);
      const parts = {
        dim,
        bitWidth: bits,
        count: TURBOVEC_FINGERPRINT_ROWS,
        packedCodes: codes,
        scales,
        calibration,
        codebook: { boundaries: codec.boundaries, centroids: codec.centroids },
      };
      // The goldens were frozen when the v7 container's revision byte was 1 (1.0 writes 2), so the
      // file column is compared with revision 1; every other column is container-independent.
      const got = turbovecFingerprint(parts, 1);
      // All columns compared together, so a failure names every column that moved.
      const columns = ['boundaries', 'centroids', 'calibration', 'codes', 'scales', 'file'] as const;
      expect(Object.fromEntries(columns.map((c) => [c, hex(got[c])]))).toEqual(
        Object.fromEntries(columns.map((c) => [c, hex(golden[c])])),
      );
    });
  }
});
