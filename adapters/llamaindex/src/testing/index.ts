export { HashingEmbedding } from './hashing-embedding.js';
export type { HashingEmbeddingOptions } from './hashing-embedding.js';
