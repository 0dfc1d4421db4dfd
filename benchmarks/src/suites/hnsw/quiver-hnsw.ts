import type { KernelChoice, Metric, SlotFilter } from '@quiver/core-math';
import { HnswIndex, type HnswIndexOptions, type HnswSearchOptions } from '@quiver/hnsw';
import type { GraphBuilder } from './compare-graphs.js';
import { HNSW_PARAMETERS, type GraphUnderTest } from './graph-under-test.js';

/** Quiver's `HnswIndex` as the suite drives it. */
export class QuiverGraph implements GraphUnderTest {
  readonly quiver = true;
  readonly indexBytesHow = 'HnswIndex.byteLength (vectors + graph)';
  private queries: Float32Array = new Float32Array(0);
  private efSearch: number;

  constructor(
    readonly system: string,
    readonly index: HnswIndex,
    /** Extra search options, e.g. `rerank` for quantized storage. */
    private readonly searchOptions: Omit<HnswSearchOptions, 'efSearch' | 'filter'> = {},
  ) {
    this.efSearch = index.params.efSearch;
  }

  loadQueries(queries: Float32Array): void {
    this.queries = queries;
  }

  setEfSearch(efSearch: number): void {
    this.efSearch = efSearch;
  }

  searchOne(query: number, k: number, out: Int32Array, filter?: SlotFilter): void {
    const { dim } = this.index;
    const result = this.index.search(this.queries.subarray(query * dim, (query + 1) * dim), k, { ...this.searchOptions, efSearch: this.efSearch, ...(filter ? { filter } : {}) });
    out.set(result.slots, query * k);
  }

  searchBatch(k: number, out: Int32Array): void {
    out.set(this.index.search(this.queries, k, { ...this.searchOptions, efSearch: this.efSearch }).slots);
  }

  indexBytes(): number {
    return this.index.byteLength;
  }

  remove(slot: number): void {
    this.index.remove(slot);
  }

  dispose(): void {
    this.index.dispose();
  }
}

/** Builds a Quiver graph with the suite's M, efConstruction and seed, adding all rows in one call. */
export function buildQuiverGraph(system: string, base: Float32Array, dim: number, metric: Metric, options: Omit<HnswIndexOptions, 'dim' | 'metric'> = {}, searchOptions: Omit<HnswSearchOptions, 'efSearch' | 'filter'> = {}): QuiverGraph {
  const { M, efConstruction, seed } = HNSW_PARAMETERS;
  const index = new HnswIndex({ dim, metric, M, efConstruction, seed, ...options });
  try {
    index.add(base);
  } catch (error) {
    index.dispose();
    throw error;
  }
  return new QuiverGraph(system, index, searchOptions);
}

export function quiverHnswBuilder(kernels: KernelChoice): GraphBuilder {
  return { system: 'quiver hnsw', quiver: true, build: (base, dim, metric) => buildQuiverGraph('quiver hnsw', base, dim, metric, { kernels }) };
}
