import { describe, expect, it } from 'vitest';
import { parseBvecs, parseFvecs, parseIvecs, parseSafetensors, type VecsMatrix } from '../src/index.js';
import { fixture, hexOf, manifest } from './helpers.js';

describe('safetensors fixture (written from the format spec)', () => {
  it.each(Object.entries(manifest.safetensors))('%s has every tensor and the metadata', (name, expected) => {
    const file = parseSafetensors(fixture(name));
    expect(file.metadata).toEqual(expected.metadata);
    expect([...file.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [key, want] of Object.entries(expected.tensors)) {
      const tensor = file.tensors.get(key)!;
      expect(tensor.dtype).toBe(want.dtype);
      expect(tensor.shape).toEqual(want.shape);
      expect(hexOf(tensor.data)).toBe(want.hex);
    }
    expect(file.tensors.get('embeddings.bf16')!.data[0]).toBe(0x3f80); // bfloat16 1.0
  });
});

describe('vecs fixtures', () => {
  const parsers: Record<string, (b: Uint8Array) => VecsMatrix> = { fvecs: parseFvecs, ivecs: parseIvecs, bvecs: parseBvecs };
  it.each(Object.entries(manifest.vecs))('%s', (name, expected) => {
    const matrix = parsers[name.split('.').pop()!]!(fixture(name));
    expect([matrix.count, matrix.dim]).toEqual([expected.count, expected.dim]);
    expect(hexOf(matrix.data)).toBe(expected.hex);
  });
});
