import { GRAPH_ROW_KIND, type Arena, type ArenaBlock, type VectorStorage } from '@quiver/core-math';
import { PqStorage } from '@quiver/pq';
import type { GraphRows } from './row-storage.js';

/**
 * PQ codes searched by the graph kernels: the `PqStorage` keeps the codes (read in place through
 * `codesPtr`), this keeps one query's ADC table in the arena (built by the quantizer's
 * `adcTableAt`), so a PQ search is one kernel call like a float32 one. Linking and repair still
 * go through the TypeScript walker (the kernels cannot turn a code into a query).
 */
export class PqGraphRows {
  private block: ArenaBlock | undefined;

  private constructor(
    private readonly storage: PqStorage,
    private readonly arena: Arena,
  ) {
    const { dim, M, ksub } = storage.quantizer;
    // The quantizer's query scratch (dim float32), then the table (M × ksub float32).
    this.block = arena.alloc((dim + M * ksub) * 4);
  }

  /** The kernel path for `storage`, when it is a `PqStorage` whose codes live in `arena`. */
  static over(storage: VectorStorage, arena: Arena): PqGraphRows | undefined {
    if (!(storage instanceof PqStorage) || storage.quantizer.kernels.arena !== arena) return undefined;
    return new PqGraphRows(storage, arena);
  }

  /** Builds the ADC table of a query (normalized under cosine, by the quantizer). */
  setQuery(query: Float32Array): void {
    const ptr = this.block!.ptr;
    this.storage.quantizer.adcTableAt(query, ptr, ptr + this.storage.dim * 4);
  }

  /** The codes and the current table, for the kernel context (codes move when the storage grows). */
  graphRows(): GraphRows {
    const { quantizer } = this.storage;
    return {
      kind: quantizer.nbits === 8 ? GRAPH_ROW_KIND.pq8 : GRAPH_ROW_KIND.pq4,
      ptr: this.storage.codesPtr,
      stride: quantizer.codeSize,
      table: this.block!.ptr + this.storage.dim * 4,
      subspaces: quantizer.M,
    };
  }

  /** Bytes of arena memory held (the table). */
  get byteLength(): number {
    return this.block?.byteLength ?? 0;
  }

  dispose(): void {
    if (this.block) this.arena.free(this.block);
    this.block = undefined;
  }
}
