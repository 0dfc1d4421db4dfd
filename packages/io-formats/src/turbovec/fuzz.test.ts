import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptFileError } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { decodeTurbovec, encodeTurbovecV7 } from './codec.js';
import { encodeTurbovecSimple } from './simple.js';
import { planTurbovecSync } from './sync-plan.js';
import { FIXTURES } from '../../test/helpers.js';
import { makeParts, rng, swapRemove, append } from '../../test/turbovec/helpers.js';

/** A synced v7 file whose adopted header carries redo ops and a tail, built through the sync planner. */
function syncedFile(): Uint8Array {
  const a = makeParts({ dim: 16, bitWidth: 3, count: 70, idMapped: true, calibrated: true, seed: 11 });
  const first = planTurbovecSync(undefined, a, { nonce: 77n });
  if (first.mode !== 'full') throw new Error('expected a full write');
  let file = new Uint8Array(Buffer.concat([...first.chunks]));
  const b = append(swapRemove(a, 5), 30, 12);
  const second = planTurbovecSync(file, b);
  if (second.mode !== 'incremental') throw new Error('expected an incremental sync');
  for (const batch of second.batches) {
    for (const { offset, bytes } of batch) {
      if (offset + bytes.length > file.length) {
        const grown = new Uint8Array(offset + bytes.length);
        grown.set(file);
        file = grown;
      }
      file.set(bytes, offset);
    }
  }
  expect(decodeTurbovec(file).origin?.pendingSlots?.length).toBe(1);
  return file;
}

const corpus: [string, Uint8Array][] = [
  ['v7 snapshot', encodeTurbovecV7(makeParts({ dim: 24, bitWidth: 4, count: 70, idMapped: true, calibrated: true }))],
  ['v7 synced', syncedFile()],
  ['simple', encodeTurbovecSimple(makeParts({ dim: 16, bitWidth: 2, count: 9, idMapped: true }))],
  ...['v5-2bit.tv', 'v6-3bit.tvim', 'v6-2bit-40.tv'].map((name) => [name, new Uint8Array(readFileSync(join(FIXTURES, 'turbovec', name)))] as [string, Uint8Array]),
];

describe('decodeTurbovec under mutation', () => {
  it('returns an index or throws CorruptFileError for hundreds of mutated files, never anything else', () => {
    const next = rng(2024);
    let refused = 0;
    let total = 0;
    for (const [name, original] of corpus) {
      for (let trial = 0; trial < 80; trial++) {
        const bytes = original.slice();
        const kind = trial % 4;
        let input = bytes;
        // Headers live near the start: bias positions there, but reach the whole file.
        const pos = () => (next() % 2 === 0 ? next() % Math.min(bytes.length, 600) : next() % bytes.length);
        if (kind === 0) bytes[pos()]! ^= 1 << (next() % 8);
        else if (kind === 1) for (let k = 0; k < 4; k++) bytes[pos()] = next() & 0xff;
        else if (kind === 2) input = bytes.subarray(0, next() % bytes.length);
        else {
          const at = (next() % Math.min(bytes.length - 4, 160)) & ~3;
          new DataView(bytes.buffer).setUint32(at, [0xffffffff, 0x80000000, 0x10000, 1 << 24][next() % 4]!, true);
        }
        total++;
        try {
          const parts = decodeTurbovec(input);
          // Whatever loads is bounded by the input's own size.
          expect(parts.packedCodes.length + parts.scales.length * 4 + (parts.ids?.length ?? 0) * 8).toBeLessThanOrEqual(input.length * 2 + 4096);
        } catch (error) {
          if (!(error instanceof CorruptFileError)) throw new Error(`${name} trial ${trial}: ${String(error)}`);
          refused++;
        }
      }
    }
    expect(total).toBe(480);
    expect(refused).toBeGreaterThan(200);
  });
});
