import { wasmAvailable, type KernelChoice, type Metric } from '@quiver/core-math';
import { describeVectorIndexConformance } from '@quiver/testkit';
import { loadIvfIndex } from './ivf-codec.js';
import { IvfIndex, type IvfIndexOptions } from './ivf-index.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];

/** Trained, still empty indexes as bytes, by variant, dimension, metric and sample. */
const trainedBytes = new Map<string, Uint8Array>();

/**
 * An index trained on the suite's sample of the test data (as one trains on the base set). The
 * suite asks for many fresh indexes over the same samples, so each training runs once and later
 * calls load its bytes (which also runs every test through the loader).
 */
function trained(dim: number, metric: Metric, sample: Float32Array, name: string, options: Omit<IvfIndexOptions, 'dim' | 'metric' | 'nlist'>): IvfIndex {
  const key = `${name}/${String(options.kernels)}/${dim}/${metric}/${sample.length}/${sample[0]}/${sample.at(-1)}`;
  const cached = trainedBytes.get(key);
  if (cached) return loadIvfIndex(cached, { kernels: options.kernels ?? 'auto' });
  const M = dim % 4 === 0 ? dim / 4 : dim;
  const index = new IvfIndex({ dim, metric, nlist: 8, nprobe: 4, iterations: 3, M, ...options });
  index.train(sample);
  trainedBytes.set(key, index.toBytes());
  return index;
}

const variants: [string, Omit<IvfIndexOptions, 'dim' | 'metric' | 'nlist'>][] = [
  ['IVF-Flat', { storage: 'flat' }],
  ['IVF-PQ 8-bit, rerank', { storage: 'pq', nbits: 8, rerank: true }],
  ['IVF-PQ 4-bit fast scan, rerank', { storage: 'pq', nbits: 4, rerank: true, rerankFactor: 8 }],
];

for (const kernels of backends) {
  for (const [name, options] of variants) {
    // 8-bit codebooks train slowly on the TypeScript kernels; their equality with wasm is tested in core-math.
    if (kernels === 'js' && options.nbits === 8 && backends.length > 1) continue;
    describeVectorIndexConformance({
      name: `IvfIndex ${name} (${kernels} kernels)`,
      create: (dim, metric, sample) => trained(dim, metric, sample(), name, { ...options, kernels }),
      load: (bytes) => loadIvfIndex(bytes, { kernels }),
      capabilities: { remove: true, swapRemove: false, compact: false, filter: true, threshold: true, exact: false, serialize: true },
      dims: [1, 3, 16, 128],
    });
  }
}
