import { Embeddings } from '@langchain/core/embeddings';

/**
 * A deterministic local embedding for tests: a hashed bag of words (FNV-1a of each lower-cased
 * word picks a dimension and a sign), plus a small constant in the last dimension so no text
 * embeds to the zero vector. No network, no model; texts sharing words land close together.
 */
export class HashedEmbeddings extends Embeddings {
  readonly dim: number;

  constructor(dim = 128) {
    super({});
    this.dim = dim;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.embed(text));
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }

  private embed(text: string): number[] {
    const vector = new Array<number>(this.dim).fill(0);
    vector[this.dim - 1] = 0.1;
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      const hash = fnv1a(word);
      vector[hash % (this.dim - 1)]! += hash & 0x80000000 ? -1 : 1;
    }
    return vector;
  }
}

function fnv1a(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    hash ^= word.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
