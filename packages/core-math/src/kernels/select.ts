import { Arena } from '../arena.js';
import { UnsupportedOperationError } from '../errors.js';
import { createJsKernels } from './js-kernels.js';
import type { KernelBackend, Kernels } from './types.js';

export type KernelChoice = KernelBackend | 'auto';

let defaultArenaInstance: Arena | undefined;
const cache = new Map<KernelBackend, Kernels>();

/** The arena shared by every index of this thread. */
export function defaultArena(): Arena {
  defaultArenaInstance ??= new Arena();
  return defaultArenaInstance;
}

function envChoice(): KernelChoice | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.QUIVER_KERNELS;
  return value === 'js' || value === 'wasm' || value === 'auto' ? value : undefined;
}

/**
 * The kernels of this thread over `defaultArena()`. `auto` (the default, or the `QUIVER_KERNELS`
 * environment variable) picks WebAssembly SIMD when the runtime has it, else TypeScript.
 */
export function getKernels(choice: KernelChoice = envChoice() ?? 'auto'): Kernels {
  const backend: KernelBackend = choice === 'auto' ? (wasmAvailable() ? 'wasm' : 'js') : choice;
  let kernels = cache.get(backend);
  if (!kernels) {
    if (backend === 'wasm') {
      if (!wasmAvailable()) throw new UnsupportedOperationError('this runtime', 'WebAssembly SIMD kernels');
      throw new UnsupportedOperationError('core-math', 'wasm kernels', 'not built yet');
    }
    kernels = createJsKernels(defaultArena());
    cache.set(backend, kernels);
  }
  return kernels;
}

export function wasmAvailable(): boolean {
  return false;
}
