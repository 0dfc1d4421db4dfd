import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';
import { encodeNpyChunks, parseNpy, type NpyArray, type NpyArrayInput, type NpyReadOptions, type NpyWriteOptions } from './npy.js';
import { concatBytes } from './bytes.js';
import { encodeZipChunks, parseZip, type ZipReadOptions, type ZipWriteOptions } from './zip.js';

export interface NpzReadOptions extends ZipReadOptions, NpyReadOptions {}
export interface NpzWriteOptions extends ZipWriteOptions, NpyWriteOptions {}

export type NpzEntries = Readonly<Record<string, NpyArrayInput>> | ReadonlyMap<string, NpyArrayInput>;

const SUFFIX = '.npy';

/**
 * Parses a .npz archive (as written by `np.savez` / `np.savez_compressed`) into its arrays, keyed
 * by member name without the `.npy` suffix. Members that are not .npy files and directories are
 * skipped; use `parseZip` to see them.
 */
export function parseNpz(bytes: Uint8Array, options: NpzReadOptions = {}): Map<string, NpyArray> {
  const arrays = new Map<string, NpyArray>();
  for (const entry of parseZip(bytes, options)) {
    if (!entry.name.endsWith(SUFFIX)) continue;
    try {
      arrays.set(entry.name.slice(0, -SUFFIX.length), parseNpy(entry.data, options));
    } catch (cause) {
      if (!(cause instanceof CorruptFileError)) throw cause;
      throw new CorruptFileError(cause.reason, `npz member '${entry.name}': ${cause.message}`, { cause });
    }
  }
  return arrays;
}

/** Encodes a .npz archive as chunks; stored members reference the arrays' own memory. */
export function encodeNpzChunks(entries: NpzEntries, options: NpzWriteOptions = {}): Uint8Array[] {
  if (typeof entries !== 'object' || entries === null) throw new InvalidArgumentError('entries', 'must be a Map or an object');
  const pairs = entries instanceof Map ? [...entries] : Object.entries(entries as Record<string, NpyArrayInput>);
  const members = pairs.map(([key, array]) => {
    if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError('entries', 'array names must be non-empty strings');
    return { name: key + SUFFIX, data: encodeNpyChunks(array, options) };
  });
  return encodeZipChunks(members, options);
}

/** Encodes a .npz archive: stored members by default, deflated with `{ compress: true }`. */
export function encodeNpz(entries: NpzEntries, options: NpzWriteOptions = {}): Uint8Array {
  return concatBytes(encodeNpzChunks(entries, options));
}
