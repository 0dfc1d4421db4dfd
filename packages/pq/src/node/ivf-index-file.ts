import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@quiver/io-formats/node';
import { loadIvfIndex, type LoadIvfIndexOptions } from '../ivf-codec.js';
import type { IvfIndex } from '../ivf-index.js';

/** Writes the index to `path` atomically (temporary file, fsync, rename). */
export async function saveIvfIndex(index: IvfIndex, path: string): Promise<void> {
  await writeFileAtomic(path, index.toBytes());
}

/** Reads and validates an IvfIndex file written by `saveIvfIndex`. */
export async function loadIvfIndexFile(path: string, options: LoadIvfIndexOptions = {}): Promise<IvfIndex> {
  return loadIvfIndex(new Uint8Array(await readFile(path)), options);
}
