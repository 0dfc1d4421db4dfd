import { readFile } from 'node:fs/promises';
import { writeFileAtomic, writeFileAtomicSync } from '@quiver/io-formats/node';
import type { FlatIndex } from '../flat-index.js';
import { loadFlatIndex, type LoadFlatIndexOptions } from '../flat-codec.js';

/**
 * Writes the index to `path` atomically (temporary file, fsync, rename). The bytes are taken
 * up front (`toBytes()`, one copy), so the index may change while the write is in flight.
 */
export async function saveFlatIndex(index: FlatIndex, path: string): Promise<void> {
  await writeFileAtomic(path, index.toBytes());
}

/**
 * Like `saveFlatIndex`, synchronously and without the in-memory copy: the rows are written
 * straight from the arena (`toChunks()`), which is what large indexes want.
 */
export function saveFlatIndexSync(index: FlatIndex, path: string): void {
  writeFileAtomicSync(path, index.toChunks());
}

/** Reads and validates a FlatIndex file written by `saveFlatIndex`. */
export async function loadFlatIndexFile(path: string, options: LoadFlatIndexOptions = {}): Promise<FlatIndex> {
  return loadFlatIndex(new Uint8Array(await readFile(path)), options);
}
