import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '@quiver/io-formats/node';
import { loadHnswIndex, type LoadHnswIndexOptions } from '../hnsw-codec.js';
import type { HnswIndex } from '../hnsw-index.js';

/**
 * Writes the index to `path` atomically (temporary file, fsync, rename), streaming the rows and
 * links straight from the arena: do not mutate the index until the promise settles.
 */
export async function saveHnswIndex(index: HnswIndex, path: string): Promise<void> {
  await writeFileAtomic(path, index.toChunks());
}

/**
 * Reads and validates an HnswIndex file. The file is read once into memory; the loader views its
 * sections in place (typed arrays over the read buffer, no copy) and copies rows and links once,
 * into the kernels' arena where the search reads them.
 */
export async function loadHnswIndexFile(path: string, options: LoadHnswIndexOptions = {}): Promise<HnswIndex> {
  return loadHnswIndex(await readBytes(path), options);
}

export function loadHnswIndexFileSync(path: string, options: LoadHnswIndexOptions = {}): HnswIndex {
  return loadHnswIndex(asBytes(readFileSync(path)), options);
}

async function readBytes(path: string): Promise<Uint8Array> {
  return asBytes(await readFile(path));
}

/** A Buffer as a plain Uint8Array view (Node's pooled small buffers may start unaligned; the loader copies then). */
function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
