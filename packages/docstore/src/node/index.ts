export { saveDocumentStore, loadDocumentStore, hasSavedDocumentStore, nodeDocumentStoreFileLayer, MANIFEST_FILE } from './store-folder.js';
export type { DocumentStoreFileLayer, DocumentStoreFolderOptions } from './store-folder.js';
