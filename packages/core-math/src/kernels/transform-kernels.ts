import type { Arena } from '../arena.js';

/** Vector transforms: permutations, sign flips and Walsh-Hadamard butterflies (TurboQuant's rotation). Pointers are byte offsets into the arena's memory. */
export interface TransformKernels {}

/** The TypeScript implementation, with results equal to the WebAssembly one. */
export function createJsTransformKernels(arena: Arena): TransformKernels {
  void arena;
  return {};
}
