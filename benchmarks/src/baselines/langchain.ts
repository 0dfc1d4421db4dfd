import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { Document } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import type { Metric } from '@quiver/core-math';

/** The harness hands LangChain vectors directly; nothing is ever embedded. */
export class NoEmbeddings extends Embeddings {
  constructor() {
    super({});
  }
  embedDocuments(): Promise<number[][]> {
    return Promise.reject(new TypeError('the benchmark adds vectors directly'));
  }
  embedQuery(): Promise<number[]> {
    return Promise.reject(new TypeError('the benchmark searches by vector'));
  }
}

function negatedSquaredL2(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const t = a[i]! - b[i]!;
    sum += t * t;
  }
  return -sum;
}

function toRows(data: Float32Array, dim: number): number[][] {
  const rows: number[][] = [];
  for (let offset = 0; offset < data.length; offset += dim) rows.push(Array.from(data.subarray(offset, offset + dim)));
  return rows;
}

/**
 * LangChain's `MemoryVectorStore` as its users run it: vectors as `number[]`, one trivial Document
 * per vector, `similaritySearchVectorWithScore`. It scores with its default cosine similarity (so
 * `dot` and `cosine` workloads both pay for cosine); for `l2` it gets a negated squared-L2
 * similarity function so its ranking matches the metric.
 */
export class LangChainStore {
  readonly dim: number;
  private readonly store: MemoryVectorStore;

  constructor(dim: number, metric: Metric) {
    this.dim = dim;
    this.store = new MemoryVectorStore(new NoEmbeddings(), metric === 'l2' ? { similarity: negatedSquaredL2 } : {});
  }

  async add(vectors: Float32Array): Promise<void> {
    const rows = toRows(vectors, this.dim);
    const firstId = this.store.memoryVectors.length;
    await this.store.addVectors(
      rows,
      rows.map((_, i) => new Document({ pageContent: '', metadata: { row: firstId + i } })),
    );
  }

  /** Best k rows of one query, best first, as LangChain orders them. */
  async search(query: Float32Array, k: number): Promise<number[]> {
    const hits = await this.store.similaritySearchVectorWithScore(Array.from(query), k);
    return hits.map(([doc]) => doc.metadata['row'] as number);
  }
}
