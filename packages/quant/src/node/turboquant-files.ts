import { readTurbovecFile, syncTurbovecFile, writeTurbovecFile, type TurbovecSyncResult, type TurbovecWriteOptions } from '@quiver/io-formats/node';
import { TurboQuantIndex, type TurboQuantLoadOptions } from '../turboquant/index/turboquant-index.js';

/** Writes `index` to `path` as turbovec 1.0's v7 snapshot (`.tv`), atomically. */
export async function writeTurboQuantIndex(index: TurboQuantIndex, path: string, options: TurbovecWriteOptions = {}): Promise<void> {
  await writeTurbovecFile(path, index.toParts(), options);
}

/** Loads a turbovec index file (v7, v6, v5 or the simple layout) from `path`. */
export async function loadTurboQuantIndex(path: string, options: TurboQuantLoadOptions = {}): Promise<TurboQuantIndex> {
  return TurboQuantIndex.fromParts(await readTurbovecFile(path), options);
}

/**
 * Brings the v7 file at `path` up to `index` as turbovec's `sync(path)` does: appended and moved
 * rows are written in place with a new commit header, crash-safe; the first sync rewrites the file.
 */
export async function syncTurboQuantIndex(index: TurboQuantIndex, path: string): Promise<TurbovecSyncResult> {
  return syncTurbovecFile(path, index.toParts());
}
