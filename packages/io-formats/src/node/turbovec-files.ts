import { open, readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@quiver/core-math';
import { encodeTurbovecSimple } from '../turbovec/simple.js';
import { decodeTurbovec, turbovecV7Chunks } from '../turbovec/codec.js';
import { planTurbovecSync, type TurbovecFullWriteReason, type TurbovecWrite } from '../turbovec/sync-plan.js';
import type { TurbovecParts } from '../turbovec/parts.js';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.js';
import { readFileIfExists } from './read-if-exists.js';

/** The file operations a turbovec sync performs; injectable so tests can cut the sequence anywhere. */
export interface TurbovecFileLayer {
  /** The whole file, or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Replaces the file atomically (temporary file, fsync, rename, directory fsync). */
  replace(path: string, chunks: Iterable<Uint8Array>): Promise<void>;
  /** Positioned writes in order, then one fsync: a batch is durable when this resolves. */
  writeBatch(path: string, writes: readonly TurbovecWrite[]): Promise<void>;
}

export const nodeTurbovecFileLayer: TurbovecFileLayer = {
  read: readFileIfExists,
  async replace(path, chunks) {
    await writeFileAtomic(path, chunks);
  },
  async writeBatch(path, writes) {
    const handle = await open(path, 'r+');
    try {
      for (const { offset, bytes } of writes) {
        for (let done = 0; done < bytes.length; ) {
          const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offset + done);
          done += bytesWritten;
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', 'must be a non-empty string');
}

/** Reads a turbovec index file of any supported format (v7 with crash recovery, v6, v5, simple layout). */
export async function readTurbovecFile(path: string): Promise<TurbovecParts> {
  checkPath(path);
  const buffer = await readFile(path);
  return decodeTurbovec(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
}

export interface TurbovecWriteOptions extends AtomicWriteOptions {
  /** 'v7' (default): what turbovec 1.0's `write()` produces. 'simple': the API reference's layout. */
  readonly format?: 'v7' | 'simple';
  /** Write the id-mapped variant (.tvim); defaults to whether `parts.ids` is present. */
  readonly idMap?: boolean;
}

/** Writes a turbovec snapshot atomically; v7 output is byte-identical to turbovec 1.0's `write()`. */
export async function writeTurbovecFile(path: string, parts: TurbovecParts, options: TurbovecWriteOptions = {}): Promise<void> {
  checkPath(path);
  const format = options.format ?? 'v7';
  if (format !== 'v7' && format !== 'simple') throw new InvalidArgumentError('options.format', `must be 'v7' or 'simple', got ${String(format)}`);
  const idMap = options.idMap;
  const data = format === 'v7' ? turbovecV7Chunks(parts, { idMap }) : encodeTurbovecSimple(parts, { idMap });
  await writeFileAtomic(path, data, options);
}

export interface TurbovecSyncOptions {
  /** Sync an id-mapped (.tvim) file; defaults to whether `parts.ids` is present. */
  readonly idMap?: boolean;
  /** File operations to use (tests inject one to simulate crashes). */
  readonly fileLayer?: TurbovecFileLayer;
}

export interface TurbovecSyncResult {
  /** 'incremental': only changed blocks and a commit header were written; 'full': the file was rewritten; 'unchanged': nothing to write. */
  readonly mode: 'unchanged' | 'full' | 'incremental';
  /** Why the whole file was written, when it was. */
  readonly reason?: TurbovecFullWriteReason;
  /** 32-row block units written (appended or materialized; every whole block for a full write). */
  readonly blocksWritten: number;
  /** Redo ops (changed rows inside committed blocks) the new commit header carries. */
  readonly opsCarried: number;
  /** Bytes written to the file by this sync. */
  readonly bytesWritten: number;
  /** Generation of the commit the file now holds. */
  readonly generation: bigint;
}

/**
 * Brings the v7 file at `path` to `parts` the way turbovec 1.0's `sync(path)` does, writing
 * only what changed: no dirty tracking is needed, the file's committed state is compared with
 * `parts` row by row. Crash-safe: a crash at any point leaves a file that loads as the old or the
 * new state (see `planTurbovecSync`). The first sync of a path, of a snapshot (`write`), after a
 * change of calibration or geometry, or with more than 1024 changed rows inside committed blocks
 * rewrites the whole file atomically and claims it with a random nonce. Single writer per path.
 */
export async function syncTurbovecFile(path: string, parts: TurbovecParts, options: TurbovecSyncOptions = {}): Promise<TurbovecSyncResult> {
  checkPath(path);
  const layer = options.fileLayer ?? nodeTurbovecFileLayer;
  const current = await layer.read(path);
  const plan = planTurbovecSync(current, parts, { idMap: options.idMap });
  if (plan.mode === 'unchanged') return { mode: 'unchanged', blocksWritten: 0, opsCarried: 0, bytesWritten: 0, generation: plan.generation };
  if (plan.mode === 'full') {
    let bytesWritten = 0;
    const counted = (function* () {
      for (const chunk of plan.chunks) {
        bytesWritten += chunk.length;
        yield chunk;
      }
    })();
    await layer.replace(path, counted);
    return { mode: 'full', reason: plan.reason, blocksWritten: plan.blocksWritten, opsCarried: 0, bytesWritten, generation: 0n };
  }
  let bytesWritten = 0;
  for (const batch of plan.batches) {
    await layer.writeBatch(path, batch);
    for (const w of batch) bytesWritten += w.bytes.length;
  }
  return { mode: 'incremental', blocksWritten: plan.blocksWritten, opsCarried: plan.opsCarried, bytesWritten, generation: plan.generation };
}
