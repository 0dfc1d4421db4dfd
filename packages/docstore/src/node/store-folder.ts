import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptFileError, InvalidArgumentError } from '@quiver/core-math';
import { readFileIfExists, writeFileAtomic } from '@quiver/io-formats/node';
import { DocumentStore, readState } from '../document-store.js';
import { encodeStore } from '../store-codec.js';

/**
 * A saved store is a folder:
 *
 *   quiver-store.json     the manifest: which generation is current (replaced atomically, last)
 *   index-<gen>.qvi       the index part (IDMP envelope)
 *   documents-<gen>.qvd   the document side-car (DOCS envelope)
 *
 * A save writes a new generation's two files, then replaces the manifest, then removes older
 * generations. Until the manifest names the new files they are invisible, and the old ones stay
 * until it does, so a save killed at any point leaves the old or the new state loadable.
 */
export const MANIFEST_FILE = 'quiver-store.json';
const MANIFEST_FORMAT = 'quiver-docstore';
const MANIFEST_VERSION = 1;
const GENERATION_FILE = /^(?:index-(\d+)\.qvi|documents-(\d+)\.qvd)$/;

/** The file operations a save and a load need; tests substitute one that fails part-way. */
export interface DocumentStoreFileLayer {
  /** The whole file, or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Replaces a file atomically (temporary file, fsync, rename, directory fsync). */
  replace(path: string, chunks: readonly Uint8Array[]): Promise<void>;
  /** Removes a file; a missing one is fine. */
  remove(path: string): Promise<void>;
  /** Names in a directory ([] when it does not exist). */
  list(directory: string): Promise<string[]>;
  makeDirectory(directory: string): Promise<void>;
}

export const nodeDocumentStoreFileLayer: DocumentStoreFileLayer = {
  read: readFileIfExists,
  async replace(path, chunks) {
    await writeFileAtomic(path, chunks);
  },
  async remove(path) {
    await rm(path, { force: true });
  },
  async list(directory) {
    try {
      return await readdir(directory);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return [];
      throw error;
    }
  },
  async makeDirectory(directory) {
    await mkdir(directory, { recursive: true });
  },
};

export interface DocumentStoreFolderOptions {
  /** Default: the Node file system. */
  readonly fileLayer?: DocumentStoreFileLayer;
}

interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: number;
  readonly generation: number;
  readonly index: string;
  readonly documents: string;
}

/**
 * Saves `store` into `directory` (created if needed), crash-safe as described above. The store's
 * content is taken when the call starts; it may change while the files are written. Saves into
 * one directory must not overlap.
 */
export async function saveDocumentStore(store: DocumentStore, directory: string, options: DocumentStoreFolderOptions = {}): Promise<void> {
  if (!(store instanceof DocumentStore)) throw new InvalidArgumentError('store', 'must be a DocumentStore');
  checkDirectory(directory);
  const layer = fileLayerOf(options);
  const encoded = encodeStore(store[readState]());
  await layer.makeDirectory(directory);
  const existing = await layer.list(directory);
  // Above every generation present, current or left by an interrupted save: never overwrite one.
  const generation = existing.reduce((max, name) => Math.max(max, generationOf(name)), 0) + 1;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    generation,
    index: `index-${generation}.qvi`,
    documents: `documents-${generation}.qvd`,
  };
  // Both files are invisible until the manifest names them, so they are written (and synced) together.
  await allSettled([
    layer.replace(join(directory, manifest.index), encoded.indexChunks),
    layer.replace(join(directory, manifest.documents), encoded.documentChunks),
  ]);
  await layer.replace(join(directory, MANIFEST_FILE), [new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`)]);
  await allSettled(existing.filter((name) => generationOf(name) > 0).map((name) => layer.remove(join(directory, name))));
}

/**
 * Loads the store the manifest of `directory` names. A missing manifest is an
 * `InvalidArgumentError` (nothing saved there); a malformed manifest, a missing file or parts that
 * fail validation or do not belong together are `CorruptFileError`s.
 */
export async function loadDocumentStore(directory: string, options: DocumentStoreFolderOptions = {}): Promise<DocumentStore> {
  checkDirectory(directory);
  const layer = fileLayerOf(options);
  const manifestBytes = await layer.read(join(directory, MANIFEST_FILE));
  if (!manifestBytes) throw new InvalidArgumentError('directory', `${directory} holds no saved document store (no ${MANIFEST_FILE})`);
  const manifest = parseManifest(manifestBytes);
  const [index, documents] = await Promise.all([layer.read(join(directory, manifest.index)), layer.read(join(directory, manifest.documents))]);
  if (!index || !documents) throw new CorruptFileError('truncated', `${MANIFEST_FILE} names ${!index ? manifest.index : manifest.documents}, which is missing`);
  return DocumentStore.fromParts({ index, documents });
}

/** Whether `directory` holds a saved store (a manifest); says nothing about its validity. */
export async function hasSavedDocumentStore(directory: string, options: DocumentStoreFolderOptions = {}): Promise<boolean> {
  checkDirectory(directory);
  return (await fileLayerOf(options).read(join(directory, MANIFEST_FILE))) !== undefined;
}

function parseManifest(bytes: Uint8Array): Manifest {
  let value: Partial<Manifest>;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Partial<Manifest>;
  } catch (error) {
    throw new CorruptFileError('header', `${MANIFEST_FILE} is not valid JSON`, { cause: error });
  }
  if (value === null || typeof value !== 'object' || value.format !== MANIFEST_FORMAT) throw new CorruptFileError('magic', `${MANIFEST_FILE} is not a Quiver document store manifest`);
  if (value.version !== MANIFEST_VERSION) throw new CorruptFileError('version', `${MANIFEST_FILE} version ${String(value.version)} is not readable here (supported: ${MANIFEST_VERSION})`);
  const generation = value.generation;
  // The names are fixed by the generation: a manifest can never point outside the folder.
  if (!Number.isSafeInteger(generation) || generation! < 1 || value.index !== `index-${generation}.qvi` || value.documents !== `documents-${generation}.qvd`) {
    throw new CorruptFileError('header', `${MANIFEST_FILE} names unexpected files`);
  }
  return value as Manifest;
}

/**
 * Waits for every operation, then throws the first failure: a failed save returns only once none
 * of its writes is still running (a straggler could otherwise land in the next save's generation).
 */
async function allSettled(operations: readonly Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(operations)).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The generation of a data file's name, or 0 for any other name. */
function generationOf(name: string): number {
  const match = GENERATION_FILE.exec(name);
  return match ? Number(match[1] ?? match[2]) : 0;
}

function checkDirectory(directory: unknown): void {
  if (typeof directory !== 'string' || directory.length === 0) throw new InvalidArgumentError('directory', 'must be a non-empty path');
}

function fileLayerOf(options: DocumentStoreFolderOptions): DocumentStoreFileLayer {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object');
  return options.fileLayer ?? nodeDocumentStoreFileLayer;
}
