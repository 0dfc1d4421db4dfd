import { wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { describeVectorIndexConformance } from '@quiver/testkit';
import { FlatIndex } from './flat-index.js';
import { loadFlatIndex } from './flat-codec.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];

for (const kernels of backends) {
  for (const prefilter of ['none', 'int8'] as const) {
    describeVectorIndexConformance({
      name: `FlatIndex (${kernels} kernels, prefilter ${prefilter})`,
      create: (dim, metric) => new FlatIndex({ dim, metric, kernels, prefilter }),
      load: (bytes) => loadFlatIndex(bytes, { kernels, prefilter }),
      capabilities: { remove: true, swapRemove: true, compact: true, filter: true, threshold: true, exact: true, serialize: true },
    });
  }
}
