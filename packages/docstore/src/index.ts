export { DocumentStore } from './document-store.js';
export type {
  BackendSpec,
  ResolvedBackendSpec,
  StoreMetric,
  DocumentStoreOptions,
  Metadata,
  DocumentRecord,
  DocumentInput,
  FieldOperator,
  FieldCondition,
  FilterGroup,
  FilterExpression,
  DocumentPredicate,
  DocumentSearchOptions,
  DocumentHit,
  DocumentStoreParts,
} from './types.js';
export { DOCS_FOURCC, DOCS_FORMAT_MAJOR, DOCS_FORMAT_MINOR } from './documents-codec.js';
export { metricOfSimilarity, similarityOfMetric, frameworkScore } from './similarity-names.js';
export type { SimilarityName } from './similarity-names.js';
