export {
  VectorSearchError,
  isVectorSearchError,
  DimensionMismatchError,
  InvalidArgumentError,
  CorruptFileError,
  UnsupportedOperationError,
  DuplicateIdError,
  IdNotFoundError,
  NotTrainedError,
  CapacityError,
  AbortedError,
  InternalError,
  invariant,
  throwIfAborted,
} from './errors.js';
export type { ErrorCode, CorruptFileReason, VectorSearchErrorOptions } from './errors.js';
export { METRICS, parseMetric, metricCode, metricFromCode, l2ScoreToSquaredDistance } from './metric.js';
export type { Metric } from './metric.js';
export type {
  SearchOptions,
  SearchResult,
  IndexCapabilities,
  VectorIndexReader,
  VectorIndex,
  SlotScorer,
  VectorStorage,
  Quantizer,
  LongTaskOptions,
} from './contracts.js';
export { SlotBitset, SlotList, toSlotBitset, popcount32 } from './filters.js';
export type { SlotFilter } from './filters.js';
export {
  checkDim,
  checkK,
  checkBatch,
  checkFinite,
  toFloat32Matrix,
  checkSearchBatch,
  checkSearchOptions,
  checkFilter,
  checkResultSize,
  MAX_RESULT_ENTRIES,
} from './validate.js';
export { TopK, selectTopK } from './top-k.js';
export { SeededRandom } from './random.js';
export { norm, normalizeRows, normalized } from './normalize.js';
export type { ZeroVectorPolicy } from './normalize.js';
export { Arena, canShareMemory } from './arena.js';
export type { ArenaBlock, ArenaOptions } from './arena.js';
export type { Kernels, CoreKernels, KernelBackend } from './kernels/types.js';
export { createJsKernels, halfToFloat, floatToHalf } from './kernels/js-kernels.js';
export { getKernels, initKernels, createKernels, defaultArena, wasmAvailable } from './kernels/select.js';
export { createWasmKernels, compileWasmKernels } from './kernels/wasm-kernels.js';
export type { KernelChoice } from './kernels/select.js';
export { crc32, crc32c, crc32cCombine } from './checksum.js';
export { emptySearchResult } from './search-result.js';
export { exactScan, exactScanScratchBytes, mergeSearchResults, concatSearchResults } from './scan.js';
export type { DenseRows, ExactScanOptions, ScanExecutor } from './scan.js';
export {
  ENVELOPE_MAGIC,
  ENVELOPE_HEADER_BYTES,
  SECTION_HEADER_BYTES,
  ENVELOPE_TRAILER_BYTES,
  SECTION_OPTIONAL,
  encodeEnvelope,
  envelopeChunks,
  envelopeByteLength,
  decodeEnvelope,
  readEnvelopeHeader,
  startsWithEnvelope,
  viewSection,
  float32Section,
  uint32Section,
  int32Section,
} from './envelope.js';
export type {
  ScalarCode,
  EnvelopeSpec,
  EnvelopeSectionInput,
  EnvelopeHeader,
  EnvelopeSection,
  EnvelopeLimits,
  DecodeEnvelopeOptions,
  DecodedEnvelope,
} from './envelope.js';
export { boundedExactScan, boundedScanScratchBytes, sketchRowsInt8, INT8_SKETCH_STATS } from './bounded-scan.js';
export type { Int8Sketch, BoundedScanStats } from './bounded-scan.js';
export type { LutKernels } from './kernels/lut-kernels.js';
export {
  createJsLutKernels,
  LUT_BLOCK,
  LUT_STAGE_GROUPS,
  lutStageCount,
  LUT_PARAM_HEAD,
  LUT_STAGE_PARAMS,
  LUT_MAX_ENTRY,
  lutParamStride,
  lutBlockBytes,
  lutLaneByte,
  lut3Positions,
} from './kernels/lut-kernels.js';
export type { PqKernels } from './kernels/pq-kernels.js';
export { GraphWalker, GRAPH_CONTEXT, GRAPH_CONTEXT_BYTES, GRAPH_ROW_KIND, GRAPH_BATCH_ENTRY, isPqRowKind } from './kernels/graph-kernels.js';
export type { GraphKernels, GraphScoring } from './kernels/graph-kernels.js';
export type { TransformKernels } from './kernels/transform-kernels.js';
export { transformScratchBytes, transformCalibrationBytes } from './kernels/transform-kernels.js';
