import { Embeddings } from '@langchain/core/embeddings';

/** Words too common to say anything about a paragraph's subject. */
const STOP_WORDS = new Set(
  'a an and are as at be because by do does for from how in into is it its of on one or so that the their them then there they this to was what when where which while who why with'.split(' '),
);

/**
 * A deterministic local embedding for tests and offline examples: a hashed bag of words. Each
 * lower-cased word (stop words dropped, a trailing plural "s" trimmed) is hashed with FNV-1a to a
 * dimension and a sign. Texts that share words point the same way; no network, no model. Swap in
 * a real model (e.g. `new OpenAIEmbeddings()`) for real use; nothing else changes.
 */
export class HashedEmbeddings extends Embeddings {
  readonly dim: number;

  constructor(dim = 512) {
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
    // A small constant keeps a text with no known words off the zero vector.
    vector[this.dim - 1] = 0.05;
    for (const raw of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      if (STOP_WORDS.has(raw)) continue;
      const word = raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw;
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
