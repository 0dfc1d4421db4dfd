import type { Arena } from '../arena.js';

/** Lookup-table scans of packed low-bit codes (TurboQuant, 4-bit fast-scan PQ). Pointers are byte offsets into the arena's memory. */
export interface LutKernels {}

/** The TypeScript implementation, with results equal to the WebAssembly one. */
export function createJsLutKernels(arena: Arena): LutKernels {
  void arena;
  return {};
}
