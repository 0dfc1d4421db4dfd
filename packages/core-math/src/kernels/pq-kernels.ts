import type { Arena } from '../arena.js';

/** Product quantization: asymmetric-distance table lookups and k-means assignment. Pointers are byte offsets into the arena's memory. */
export interface PqKernels {}

/** The TypeScript implementation, with results equal to the WebAssembly one. */
export function createJsPqKernels(arena: Arena): PqKernels {
  void arena;
  return {};
}
