import { spawnSync } from 'node:child_process';
import { findPythonWithNumpy } from '@quiver/testkit/node';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorruptFileError, type CorruptFileReason } from '@quiver/core-math';
import { expect } from 'vitest';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface ArrayExpectation {
  dtype: string;
  shape: number[];
  fortranOrder: boolean;
  /** Little-endian bytes of the C-order data. */
  hex: string;
}

export interface Manifest {
  numpy: string;
  npy: Record<string, ArrayExpectation>;
  refused: Record<string, CorruptFileReason>;
  npz: Record<string, Record<string, ArrayExpectation>>;
  safetensors: Record<string, { metadata: Record<string, string>; tensors: Record<string, Omit<ArrayExpectation, 'fortranOrder'>> }>;
  vecs: Record<string, { dim: number; count: number; hex: string }>;
}

export const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

/** Hex of an array's bytes (tests run on little-endian hosts). */
export function hexOf(array: ArrayBufferView): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('hex');
}

/** Byte equality without vitest's slow element-wise diff of large typed arrays. */
export function expectSameBytes(actual: ArrayBufferView, expected: ArrayBufferView): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  expect(a.equals(b)).toBe(true);
}

/** Runs `fn` and returns the reason of the CorruptFileError it throws, or 'no error'. */
export function corruptReason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptFileError);
    return (error as CorruptFileError).reason;
  }
  return 'no error';
}

/** Runs `fn` and returns the CorruptFileError it must throw (optionally with `reason`). */
export function expectCorrupt(fn: () => unknown, reason?: CorruptFileReason): CorruptFileError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a CorruptFileError').toBeInstanceOf(CorruptFileError);
  const error = caught as CorruptFileError;
  if (reason) expect(error.reason, error.message).toBe(reason);
  return error;
}

/**
 * Whether python3 with numpy can run. Outside CI a missing numpy skips the round-trip tests; in CI
 * (process.env.CI set) the tests run anyway and fail loudly.
 */
const python = findPythonWithNumpy();

export const pythonWithNumpy: boolean = (() => {
  const ok = python !== undefined;
  if (!ok && !process.env.CI) console.warn('[io-formats] python3 with numpy not found: skipping numpy round-trip tests');
  return ok;
})();

export const skipWithoutNumpy = !pythonWithNumpy && !process.env.CI;

/** Runs a python3 script with JSON on stdin; returns stdout, failing the test on a non-zero exit. */
export function runPython(script: string, input: unknown): string {
  const result = spawnSync(python ?? 'python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  expect(result.status, `python3 failed:\n${result.stderr}`).toBe(0);
  return result.stdout;
}
