import { join } from 'node:path';
import type { DocumentStore } from '@quiver/docstore';
import { hasSavedDocumentStore, loadDocumentStore, saveDocumentStore } from '@quiver/docstore/node';
import { DEFAULT_PERSIST_DIR } from '@llamaindex/core/global';

/**
 * The store's folder inside a StorageContext's persist dir, beside LlamaIndex's doc_store.json and
 * index_store.json (SimpleVectorStore writes vector_store.json there).
 */
export const STORE_FOLDER = 'quiver_vector_store';

export function storePathIn(persistDir: string | undefined): string {
  return join(persistDir ?? DEFAULT_PERSIST_DIR, STORE_FOLDER);
}

/**
 * The store saved at `path`, or undefined when none was saved there yet (no manifest; a first
 * save killed part-way leaves none either). A damaged save throws `CorruptFileError`.
 */
export async function loadStoreIfPresent(path: string): Promise<DocumentStore | undefined> {
  return (await hasSavedDocumentStore(path)) ? loadDocumentStore(path) : undefined;
}

export async function saveStore(store: DocumentStore, path: string): Promise<void> {
  await saveDocumentStore(store, path);
}
