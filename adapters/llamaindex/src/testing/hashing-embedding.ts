import { InvalidArgumentError } from '@quiver/core-math';
import { BaseEmbedding } from '@llamaindex/core/embeddings';

/** Words too common to say what a text is about. */
const STOP_WORDS = new Set(
  'a an and are as at be but by do does for from has have how in is it its of on or that the their there these this to was were what when where which who why with'.split(' '),
);

export interface HashingEmbeddingOptions {
  /** Vector length. Default 256. */
  readonly dim?: number;
}

/**
 * A deterministic, local embedding for tests and examples (no network, no model): a hashed
 * bag of words. Each lower-cased word (stop words dropped, a plural `s` trimmed) adds +1 or -1 to
 * one of `dim` buckets picked by an FNV-1a hash; the vector is L2-normalized. Texts sharing words
 * score higher, which is all retrieval demos and tests need. Not a semantic model.
 */
export class HashingEmbedding extends BaseEmbedding {
  readonly dim: number;

  constructor(options: HashingEmbeddingOptions = {}) {
    super();
    const dim = options.dim ?? 256;
    if (!Number.isSafeInteger(dim) || dim < 1) throw new InvalidArgumentError('dim', `[@quiver/llamaindex] expected a positive integer, got ${dim}`);
    this.dim = dim;
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    return this.embed(text);
  }

  /** The same vector as `getTextEmbedding`, synchronously. */
  embed(text: string): number[] {
    const vector = new Array<number>(this.dim).fill(0);
    const words = tokenize(text);
    // An empty text still gets a unit vector, so cosine similarity stays defined.
    for (const word of words.length > 0 ? words : ['']) {
      const hash = fnv1a(word);
      vector[hash % this.dim]! += hash & 0x80000000 ? -1 : 1;
    }
    const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0)) || 1;
    return vector.map((x) => x / norm);
  }
}

function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    .filter((word) => !STOP_WORDS.has(word))
    .map((word) => (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word));
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // MurmurHash3's finalizer: FNV-1a's low bits (the bucket) mix poorly on their own.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
