import { CorruptFileError, SeededRandom } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { encodeNpz, parseFvecs, parseNpy, parseNpz, parseSafetensors } from '../src/index.js';
import { fixture } from './helpers.js';

/**
 * Damaged input must give either a successful parse or a CorruptFileError: never another error
 * type, a hang, or an allocation out of proportion to the input.
 */
type Parser = (bytes: Uint8Array) => ArrayBufferView[];

const parsers: Record<string, Parser> = {
  npy: (b) => [parseNpy(b).data],
  npz: (b) => [...parseNpz(b).values()].map((a) => a.data),
  safetensors: (b) => [...parseSafetensors(b).tensors.values()].map((t) => t.data),
  fvecs: (b) => [parseFvecs(b).data],
};

const cases: Array<{ name: string; kind: keyof typeof parsers; bytes: Uint8Array; truncationAlwaysFails: boolean }> = [
  { name: 'npy/float32-v1-c2d.npy', kind: 'npy', bytes: fixture('npy/float32-v1-c2d.npy'), truncationAlwaysFails: true },
  { name: 'npy/be-int64-f2d.npy', kind: 'npy', bytes: fixture('npy/be-int64-f2d.npy'), truncationAlwaysFails: true },
  { name: 'npy/uint16-v3-c1d.npy', kind: 'npy', bytes: fixture('npy/uint16-v3-c1d.npy'), truncationAlwaysFails: true },
  { name: 'npz/small-stored.npz', kind: 'npz', bytes: fixture('npz/small-stored.npz'), truncationAlwaysFails: true },
  { name: 'npz/zip64.npz', kind: 'npz', bytes: fixture('npz/zip64.npz'), truncationAlwaysFails: true },
  { name: 'npz/compressed.npz', kind: 'npz', bytes: fixture('npz/compressed.npz'), truncationAlwaysFails: true },
  {
    name: 'quiver-written deflated zip64 npz',
    kind: 'npz',
    bytes: encodeNpz({ a: { shape: [40], data: Float32Array.from({ length: 40 }, (_, i) => i % 7) } }, { compress: true, forceZip64: true }),
    truncationAlwaysFails: true,
  },
  { name: 'safetensors/all-dtypes.safetensors', kind: 'safetensors', bytes: fixture('safetensors/all-dtypes.safetensors'), truncationAlwaysFails: true },
  // A truncation at a row boundary is a valid, shorter vecs file.
  { name: 'vecs/small.fvecs', kind: 'fvecs', bytes: fixture('vecs/small.fvecs'), truncationAlwaysFails: false },
];

/** Parses, and returns 'ok' or 'corrupt'; any other outcome fails the test. */
function outcome(kind: keyof typeof parsers, bytes: Uint8Array, label: string): 'ok' | 'corrupt' {
  let arrays: ArrayBufferView[];
  try {
    arrays = parsers[kind]!(bytes);
  } catch (error) {
    if (error instanceof CorruptFileError) return 'corrupt';
    throw new Error(`${label}: expected CorruptFileError, got ${String(error)}`, { cause: error });
  }
  const produced = arrays.reduce((sum, a) => sum + a.byteLength, 0);
  // Deflate's ceiling is ~1032:1; anything larger would mean an unchecked allocation.
  expect(produced, label).toBeLessThanOrEqual(bytes.length * 1032 + 1024);
  return 'ok';
}

describe('corrupted and truncated input', () => {
  it.each(cases)('every truncation of $name is refused with CorruptFileError', ({ kind, bytes, truncationAlwaysFails, name }) => {
    expect(outcome(kind, bytes, name)).toBe('ok');
    for (let length = 0; length < bytes.length; length++) {
      const result = outcome(kind, bytes.slice(0, length), `${name} cut to ${length}`);
      if (truncationAlwaysFails) expect(result, `${name} cut to ${length}`).toBe('corrupt');
    }
  });

  it('4,000 seeded random byte corruptions give a parse or a CorruptFileError', () => {
    const rng = new SeededRandom(20261121);
    const counts = { ok: 0, corrupt: 0 };
    for (let trial = 0; trial < 4000; trial++) {
      const { kind, bytes, name } = cases[trial % cases.length]!;
      const damaged = bytes.slice();
      const flips = 1 + rng.nextInt(3);
      for (let f = 0; f < flips; f++) damaged[rng.nextInt(damaged.length)] ^= 1 + rng.nextInt(255);
      counts[outcome(kind, damaged, `${name}, trial ${trial}`)]++;
    }
    // Both outcomes occur: flips in float payloads parse, flips in headers and checksummed data do not.
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.corrupt).toBeGreaterThan(1000);
  });

  it('corruptions focused on headers and zip structures (first and last 64 bytes)', () => {
    const rng = new SeededRandom(7);
    for (let trial = 0; trial < 2000; trial++) {
      const { kind, bytes, name } = cases[trial % cases.length]!;
      const damaged = bytes.slice();
      const window = Math.min(64, damaged.length);
      const at = rng.nextInt(2) === 0 ? rng.nextInt(window) : damaged.length - 1 - rng.nextInt(window);
      damaged[at] = rng.nextInt(256);
      outcome(kind, damaged, `${name}, byte ${at}`);
    }
  });
});
