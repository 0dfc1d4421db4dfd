import type { Arena } from '../arena.js';

/** Graph search: scoring a gathered list of rows against one query. Pointers are byte offsets into the arena's memory. */
export interface GraphKernels {}

/** The TypeScript implementation, with results equal to the WebAssembly one. */
export function createJsGraphKernels(arena: Arena): GraphKernels {
  void arena;
  return {};
}
