import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from '@quiver/core-math';

/**
 * Atomic file replacement: write a temporary file in the target's directory, fsync it, rename it
 * over the target, then fsync the directory so the rename itself survives a crash. Readers see the
 * old file or the new one, never a partial write; on failure the temporary file is removed and the
 * old file is left untouched. File-system errors are rethrown as Node reports them.
 */

export type FileData = Uint8Array | Iterable<Uint8Array>;

export interface AtomicWriteOptions {
  /** Permission bits of a new file (default 0o666 minus the umask); an existing file keeps its own. */
  readonly mode?: number;
}

/** Node cannot write more than 2 GiB in one call. */
const MAX_WRITE = 1 << 30;

function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

function* chunksOf(data: FileData): Generator<Uint8Array> {
  if (data instanceof Uint8Array) {
    yield data;
    return;
  }
  if (data === null || typeof (data as Partial<Iterable<Uint8Array>>)?.[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError('data', 'must be a Uint8Array or an iterable of Uint8Array');
  }
  for (const chunk of data) {
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError('data', 'every chunk must be a Uint8Array');
    yield chunk;
  }
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', 'must be a non-empty string');
  return resolve(path);
}

/** Errors that mean "this platform cannot fsync a directory" (Windows, some network file systems). */
function isUnsupportedDirectorySync(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'EACCES' || code === 'ENOTSUP';
}

async function existingMode(target: string): Promise<number | undefined> {
  try {
    return (await stat(target)).mode & 0o7777;
  } catch {
    return undefined;
  }
}

export async function writeFileAtomic(path: string, data: FileData, options: AtomicWriteOptions = {}): Promise<void> {
  const target = checkPath(path);
  const keptMode = await existingMode(target);
  const temp = tempPathFor(target);
  let handle: FileHandle | undefined = await open(temp, 'wx', keptMode ?? options.mode ?? 0o666);
  try {
    // open() applies the umask; a replaced file keeps its exact permissions.
    if (keptMode !== undefined) await handle.chmod(keptMode);
    for (const chunk of chunksOf(data)) {
      for (let offset = 0; offset < chunk.length; ) {
        const { bytesWritten } = await handle.write(chunk, offset, Math.min(MAX_WRITE, chunk.length - offset));
        offset += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  try {
    const directory = await open(dirname(target), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch (error) {
    if (!isUnsupportedDirectorySync(error)) throw error;
  }
}

export function writeFileAtomicSync(path: string, data: FileData, options: AtomicWriteOptions = {}): void {
  const target = checkPath(path);
  let keptMode: number | undefined;
  try {
    keptMode = statSync(target).mode & 0o7777;
  } catch {
    // no existing file
  }
  const temp = tempPathFor(target);
  let fd: number | undefined = openSync(temp, 'wx', keptMode ?? options.mode ?? 0o666);
  try {
    if (keptMode !== undefined) fchmodSync(fd, keptMode);
    for (const chunk of chunksOf(data)) {
      for (let offset = 0; offset < chunk.length; ) {
        offset += writeSync(fd, chunk, offset, Math.min(MAX_WRITE, chunk.length - offset));
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error matters
      }
    }
    rmSync(temp, { force: true });
    throw error;
  }
  try {
    const directory = openSync(dirname(target), 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  } catch (error) {
    if (!isUnsupportedDirectorySync(error)) throw error;
  }
}
