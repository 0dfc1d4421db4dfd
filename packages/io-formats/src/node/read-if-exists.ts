import { readFile } from 'node:fs/promises';

/** The whole file as bytes, or undefined when it does not exist; other errors are rethrown. */
export async function readFileIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}
