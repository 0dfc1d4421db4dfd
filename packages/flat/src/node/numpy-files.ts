import { readFile } from 'node:fs/promises';
import { zlibDeflate, zlibInflate, writeFileAtomic } from '@quiver/io-formats/node';
import { InvalidArgumentError, type KernelChoice } from '@quiver/core-math';
import type { NumpyAnnIndex } from '../numpy-ann-index.js';
import {
  numpyAnnIndexFromNpy,
  numpyAnnIndexFromSafetensors,
  numpyAnnIndexToNpy,
  numpyAnnIndexToSafetensors,
  type NumpyAnnLoadOptions,
} from '../numpy-ann-persistence.js';
import { NumpyVectorStore } from '../numpy-vector-store.js';

async function readBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** numpy-vector-store's path rule: a path not ending in `.npz` gets `.npz` appended. */
export function resolveNpzPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', 'must be a non-empty string');
  return path.endsWith('.npz') ? path : `${path}.npz`;
}

/**
 * Saves the store as a compressed `.npz` (like the library's `np.savez_compressed`), atomically:
 * temporary file, fsync, rename. Returns the path written.
 */
export async function saveNumpyVectorStore(store: NumpyVectorStore<unknown>, path: string, options: { readonly compress?: boolean } = {}): Promise<string> {
  const target = resolveNpzPath(path);
  await writeFileAtomic(target, store.toNpz({ compress: options.compress ?? true, deflate: zlibDeflate }));
  return target;
}

/** Opens a store saved by `saveNumpyVectorStore` (the library's `VectorStore.open`). */
export async function openNumpyVectorStore<M = unknown>(path: string, options: { readonly kernels?: KernelChoice } = {}): Promise<NumpyVectorStore<M>> {
  return NumpyVectorStore.fromNpz<M>(await readBytes(resolveNpzPath(path)), { ...options, inflate: zlibInflate });
}

export type NumpyAnnFileFormat = 'npy' | 'safetensors';

/** Saves the index atomically, as txtai does: `.npy` by default, safetensors on request. */
export async function saveNumpyAnnIndex(index: NumpyAnnIndex, path: string, format: NumpyAnnFileFormat = 'npy'): Promise<void> {
  await writeFileAtomic(path, format === 'safetensors' ? numpyAnnIndexToSafetensors(index) : numpyAnnIndexToNpy(index));
}

/** Loads an index saved by `saveNumpyAnnIndex` or by txtai; the format is recognized from the file's first bytes. */
export async function loadNumpyAnnIndexFile(path: string, options: NumpyAnnLoadOptions = {}): Promise<NumpyAnnIndex> {
  const bytes = await readBytes(path);
  return isNpy(bytes) ? numpyAnnIndexFromNpy(bytes, options) : numpyAnnIndexFromSafetensors(bytes, options);
}

function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && bytes[0] === 0x93 && bytes[1] === 0x4e && bytes[2] === 0x55 && bytes[3] === 0x4d && bytes[4] === 0x50 && bytes[5] === 0x59;
}
