import { Arena } from '../arena.js';
import { UnsupportedOperationError } from '../errors.js';
import { createJsKernels } from './js-kernels.js';
import type { KernelBackend, Kernels } from './types.js';
import { compileWasmKernels, createWasmKernels } from './wasm-kernels.js';

export type KernelChoice = KernelBackend | 'auto';

let defaultArenaInstance: Arena | undefined;
const cache = new Map<KernelBackend, Kernels>();
let simdSupport: boolean | undefined;

/** The arena shared by every index of this thread. */
export function defaultArena(): Arena {
  defaultArenaInstance ??= new Arena();
  return defaultArenaInstance;
}

function envChoice(): KernelChoice | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.QUIVER_KERNELS;
  return value === 'js' || value === 'wasm' || value === 'auto' ? value : undefined;
}

function resolveBackend(choice: KernelChoice, arena?: Arena): KernelBackend {
  const usable = wasmAvailable() && (arena === undefined || arena.memory !== undefined);
  if (choice === 'auto') return usable ? 'wasm' : 'js';
  if (choice === 'wasm' && !usable) throw new UnsupportedOperationError('this runtime', 'WebAssembly SIMD kernels');
  return choice;
}

/**
 * The kernels of this thread over `defaultArena()`. `auto` (the default, or the `QUIVER_KERNELS`
 * environment variable) picks WebAssembly SIMD when the runtime has it, else TypeScript.
 * In browsers, await `initKernels()` once first so the module compiles off the main thread.
 */
export function getKernels(choice: KernelChoice = envChoice() ?? 'auto'): Kernels {
  const backend = resolveBackend(choice, defaultArena());
  let kernels = cache.get(backend);
  if (!kernels) {
    kernels = createKernels(defaultArena(), backend);
    cache.set(backend, kernels);
  }
  return kernels;
}

/** Compiles the WebAssembly kernels asynchronously (when chosen), then returns `getKernels(choice)`. */
export async function initKernels(choice: KernelChoice = envChoice() ?? 'auto'): Promise<Kernels> {
  if (resolveBackend(choice, defaultArena()) === 'wasm') await compileWasmKernels();
  return getKernels(choice);
}

/**
 * Kernels over any arena, e.g. one a worker attached to the main thread's shared memory with
 * `Arena.attach(memory)`. The WebAssembly variant (shared or not) follows `arena.shared`.
 */
export function createKernels(arena: Arena, backend: KernelChoice = 'auto'): Kernels {
  return resolveBackend(backend, arena) === 'wasm' ? createWasmKernels(arena) : createJsKernels(arena);
}

/** A module using a SIMD128 instruction added last to the proposal (i8x16.popcnt): validates only with full SIMD support. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0a, 0x01, 0x08, 0x00, // code section: one body of 8 bytes, no locals
  0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b, // i32.const 0; i8x16.splat; i8x16.popcnt; end
]);

/** True when this runtime has WebAssembly with SIMD128. */
export function wasmAvailable(): boolean {
  simdSupport ??= typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function' && WebAssembly.validate(SIMD_PROBE);
  return simdSupport;
}
