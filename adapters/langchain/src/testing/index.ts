export { HashedEmbeddings } from './hashed-embeddings.js';
