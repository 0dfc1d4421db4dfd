import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTurbovec, detectTurbovec } from '../src/turbovec/codec.js';
import { FIXTURES } from './helpers.js';

// Files hand-written byte by byte by scripts/make-turbovec-fixtures.py from turbovec's layouts.
interface Expectation {
  format: string;
  dim: number;
  bitWidth: number;
  count: number;
  packedHex: string;
  scaleBits: number[];
  shiftBits: number[];
  scaleCalBits: number[];
  ids: string[] | null;
  centroidBits: number[] | null;
  length: number;
}

const DIR = join(FIXTURES, 'turbovec');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Record<string, Expectation>;
const bitsOf = (values: Float32Array | undefined): number[] => (values ? Array.from(new Uint32Array(values.slice().buffer)) : []);

describe('turbovec legacy and simple-layout fixtures', () => {
  for (const [name, want] of Object.entries(manifest)) {
    it(`reads ${name}`, () => {
      const bytes = new Uint8Array(readFileSync(join(DIR, name)));
      expect(bytes.length).toBe(want.length);
      expect(detectTurbovec(bytes)).toEqual({ format: want.format, idMapped: name.endsWith('.tvim') });
      const parts = decodeTurbovec(bytes);
      expect(parts.origin?.format).toBe(want.format);
      expect({ dim: parts.dim, bitWidth: parts.bitWidth, count: parts.count }).toEqual({ dim: want.dim, bitWidth: want.bitWidth, count: want.count });
      expect(Buffer.from(parts.packedCodes).toString('hex')).toBe(want.packedHex);
      expect(bitsOf(parts.scales)).toEqual(want.scaleBits);
      expect(bitsOf(parts.calibration?.shift)).toEqual(want.shiftBits);
      expect(bitsOf(parts.calibration?.scale)).toEqual(want.scaleCalBits);
      expect(parts.ids ? Array.from(parts.ids, String) : null).toEqual(want.ids);
      expect(parts.codebook ? bitsOf(parts.codebook.centroids) : null).toEqual(want.centroidBits);
    });
  }

  it('refuses every truncation of the fixtures', () => {
    for (const name of Object.keys(manifest)) {
      const bytes = new Uint8Array(readFileSync(join(DIR, name)));
      for (let cut = 0; cut < bytes.length; cut++) {
        // v5/v6 ignore trailing bytes but every cut shortens a declared section.
        expect(() => decodeTurbovec(bytes.subarray(0, cut)), `${name} cut at ${cut}`).toThrow(/corrupt file/);
      }
    }
  });
});
