import type { Arena } from '../arena.js';
import { UnsupportedOperationError } from '../errors.js';
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './generated/wasm-bytes.js';
import type { Kernels } from './types.js';

/** The module variants: one imports a shared memory (threads), one a plain memory. */
type Variant = 'shared' | 'plain';

const modules = new Map<Variant, WebAssembly.Module>();
const kernelsByArena = new WeakMap<Arena, Kernels>();

function variantOf(shared: boolean): Variant {
  return shared ? 'shared' : 'plain';
}

function moduleBytes(variant: Variant): Uint8Array {
  const base64 = variant === 'shared' ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64;
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The module's raw bytes (for inspection and tests). */
export function wasmKernelBytes(shared: boolean): Uint8Array {
  return moduleBytes(variantOf(shared));
}

function compiledModule(variant: Variant): WebAssembly.Module {
  let module = modules.get(variant);
  if (!module) {
    module = new WebAssembly.Module(moduleBytes(variant) as Uint8Array<ArrayBuffer>);
    modules.set(variant, module);
  }
  return module;
}

/**
 * Compiles both kernel modules asynchronously and caches them, so `createWasmKernels` needs no
 * synchronous compile afterwards (browsers refuse large synchronous compiles on the main thread).
 */
export async function compileWasmKernels(): Promise<void> {
  const variants: Variant[] = typeof SharedArrayBuffer === 'undefined' ? ['plain'] : ['plain', 'shared'];
  await Promise.all(
    variants.map(async (variant) => {
      if (modules.has(variant)) return;
      const module = await WebAssembly.compile(moduleBytes(variant) as Uint8Array<ArrayBuffer>);
      modules.set(variant, module);
    }),
  );
}

/**
 * The WebAssembly SIMD128 kernels over `arena`'s memory, instantiated synchronously (the compiled
 * module is cached per variant; the instance per arena). The module writes nothing on instantiation,
 * so a worker may instantiate it over a shared memory that other threads are using.
 */
export function createWasmKernels(arena: Arena): Kernels {
  const cached = kernelsByArena.get(arena);
  if (cached) return cached;
  if (!arena.memory) throw new UnsupportedOperationError('this runtime', 'WebAssembly kernels', 'no WebAssembly.Memory');
  const instance = new WebAssembly.Instance(compiledModule(variantOf(arena.shared)), { env: { memory: arena.memory } });
  // Every exported function is a kernel method of the same name (pointers as byte offsets; a
  // boolean argument reaches the module as an i32 0 or 1).
  const methods: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    if (typeof value === 'function') methods[name] = value;
  }
  const kernels = { ...methods, backend: 'wasm', arena } as unknown as Kernels;
  kernelsByArena.set(arena, kernels);
  return kernels;
}
