import { InvalidArgumentError } from '@quiver/core-math';
import { describe, expect, it } from 'vitest';
import { corruptReason } from '../test/helpers.js';
import { encodeSafetensors, parseSafetensors } from './safetensors.js';

/** A file with a hand-written JSON header and `dataLength` zero bytes of data. */
function handMade(header: unknown, dataLength: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors of every dtype with metadata, 8-byte aligned', () => {
    const tensors = {
      b: { dtype: 'U8' as const, shape: [3], data: Uint8Array.from([1, 2, 3]) },
      a: { dtype: 'F64' as const, shape: [2], data: Float64Array.from([1.5, -2]) },
      h: { dtype: 'BF16' as const, shape: [1], data: Uint16Array.from([0x3f80]) },
      i: { dtype: 'I64' as const, shape: [1, 1], data: BigInt64Array.from([-3n]) },
      e: { dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
    };
    const bytes = encodeSafetensors(tensors, { format: 'np' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ format: 'np' });
    for (const [name, tensor] of Object.entries(tensors)) expect(parsed.tensors.get(name)).toEqual({ ...tensor });
    // Largest element size first (then name), so every tensor is aligned and viewed in place.
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets: number[] }>;
    expect(header.a!.data_offsets).toEqual([0, 16]);
    expect(header.i!.data_offsets).toEqual([16, 24]);
    expect(parsed.tensors.get('a')!.data.buffer).toBe(bytes.buffer);
  });

  it('refuses bad headers and offsets with typed reasons', () => {
    const t = (offsets: number[], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
    expect(corruptReason(() => parseSafetensors(new Uint8Array(4)))).toBe('truncated');
    expect(corruptReason(() => parseSafetensors(handMade('[1]', 0)))).toBe('magic');
    expect(corruptReason(() => parseSafetensors(handMade('{"a":', 0)))).toBe('header');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([0, 8]) }, 4)))).toBe('truncated');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([0, 8]) }, 12)))).toBe('header');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([0, 4]) }, 4)))).toBe('header');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([0, 8]), b: t([4, 12]) }, 12)))).toBe('header');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([8, 16]) }, 16)))).toBe('header');
    expect(corruptReason(() => parseSafetensors(handMade({ a: { ...t([0, 8]), dtype: 'F8_E4M3' } }, 8)))).toBe('dtype');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([0, 8], [-2]) }, 8)))).toBe('header');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([8, 0]) }, 8)))).toBe('header');
    expect(corruptReason(() => parseSafetensors(handMade({ __metadata__: { n: 1 } }, 0)))).toBe('header');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([0, 2 ** 60], [2 ** 58]) }, 8)))).toBe('header');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(0, 200_000_000, true);
    expect(corruptReason(() => parseSafetensors(huge))).toBe('limit');
    expect(corruptReason(() => parseSafetensors(handMade({ a: t([0, 8]) }, 8), { maxHeaderBytes: 10 }))).toBe('limit');
    expect(parseSafetensors(handMade({ a: t([0, 8]) }, 8)).tensors.get('a')!.shape).toEqual([2]);
  });

  it('validates writer input', () => {
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array(3) } })).toThrow(InvalidArgumentError);
    expect(() => encodeSafetensors({ a: { dtype: 'F16', shape: [1], data: new Float32Array(1) } })).toThrow(InvalidArgumentError);
    expect(() => encodeSafetensors({ a: { dtype: 'X' as never, shape: [1], data: new Float32Array(1) } })).toThrow(InvalidArgumentError);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } })).toThrow(InvalidArgumentError);
    expect(() => encodeSafetensors({}, { n: 1 as never })).toThrow(InvalidArgumentError);
  });
});
