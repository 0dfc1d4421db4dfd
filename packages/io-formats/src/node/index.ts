export { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
export type { AtomicWriteOptions, FileData } from './atomic-write.js';
export { readFileIfExists } from './read-if-exists.js';
export {
  readNpyFile,
  writeNpyFile,
  readNpzFile,
  writeNpzFile,
  readSafetensorsFile,
  writeSafetensorsFile,
  readVecsFile,
  writeVecsFile,
  readNpyRows,
} from './files.js';
export type { RowRange, VecsRows } from './files.js';
export { zlibInflate, zlibDeflate } from './zlib-codec.js';
export { readTurbovecFile, writeTurbovecFile, syncTurbovecFile, nodeTurbovecFileLayer } from './turbovec-files.js';
export type { TurbovecFileLayer, TurbovecWriteOptions, TurbovecSyncOptions, TurbovecSyncResult } from './turbovec-files.js';
