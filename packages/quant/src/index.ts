export {};
export { TurboQuantIndex } from './turboquant/index/turboquant-index.js';
export type {
  TurboQuantIndexOptions,
  TurboQuantIndexBitWidth,
  TurboQuantSearchOptions,
  TurboQuantRerank,
  TurboQuantLoadOptions,
  RerankScorer,
  TurboQuantSearchAsyncOptions,
} from './turboquant/index/turboquant-index.js';
export type { OriginalsStorage } from './turboquant/index/originals.js';
export { lutSearch, lutSearchScratchBytes } from './turboquant/index/lut-search.js';
export type { LutScanData, LutQueryTables, LutSearchOptions, LutSearchExecutor } from './turboquant/index/lut-search.js';
export { ScalarQuantizer, MAX_SCALAR_DIM } from './scalar/scalar-quantizer.js';
export type { ScalarQuantizerOptions, ScalarQuantizerParameters, ScalarCodeType } from './scalar/scalar-quantizer.js';
export { BinaryQuantizer } from './binary/binary-quantizer.js';
export type { BinaryQuantizerOptions, BinaryQuantizerParameters, BinaryThreshold } from './binary/binary-quantizer.js';
export { rerankCandidates } from './binary/rerank.js';
export { TurboQuantCodec, TURBOQUANT_MAX_DIM, TURBOQUANT_BIT_WIDTHS } from './turboquant/turboquant-codec.js';
export type { TurboQuantCodecOptions, TurboQuantBitWidth, EncodedRows, PreparedQuery } from './turboquant/turboquant-codec.js';
export { TQPLUS_MIN_CALIBRATION_ROWS, TQPLUS_RECOMMENDED_CALIBRATION_ROWS } from './turboquant/calibration.js';
export type { TurboQuantCalibration } from './turboquant/calibration.js';
export { TurboQuantRotation, TURBOVEC_ROTATION_SEED } from './turboquant/rotation.js';
export { lloydMaxCodebook } from './turboquant/codebook.js';
export type { Codebook } from './turboquant/codebook.js';
export { TurboQuantStorage, TurboQuantScorer } from './turboquant/storage/turboquant-storage.js';
export type { TurboQuantStorageOptions } from './turboquant/storage/turboquant-storage.js';
