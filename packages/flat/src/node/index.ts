export { saveFlatIndex, saveFlatIndexSync, loadFlatIndexFile } from './flat-index-file.js';
export { resolveNpzPath, saveNumpyVectorStore, openNumpyVectorStore, saveNumpyAnnIndex, loadNumpyAnnIndexFile } from './numpy-files.js';
export type { NumpyAnnFileFormat } from './numpy-files.js';
