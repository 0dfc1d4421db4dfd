import { readFile } from 'node:fs/promises';
import type { VectorIndex } from '@quiver/core-math';
import { loadIdMapIndex, type InnerIndexLoader, type LoadIdMapIndexOptions } from '../id-map-codec.js';
import type { IdMapIndex } from '../id-map-index.js';
import { writeFileAtomic } from '@quiver/io-formats/node';

/**
 * Writes the index to `path` atomically (temporary file, fsync, rename). Its content is taken
 * when the call starts, so the index may change while the write is in flight.
 */
export async function saveIdMapIndex(index: IdMapIndex, path: string): Promise<void> {
  await writeFileAtomic(path, index.toChunks());
}

/** Reads and validates a file written by `saveIdMapIndex`; `loadInner` reads the inner index's bytes. */
export async function loadIdMapIndexFile<I extends VectorIndex>(
  path: string,
  loadInner: InnerIndexLoader<I>,
  options: LoadIdMapIndexOptions = {},
): Promise<IdMapIndex<I>> {
  return loadIdMapIndex(new Uint8Array(await readFile(path)), loadInner, options);
}
