import { wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { describeVectorIndexConformance } from '@quiver/testkit';
import { loadHnswIndex } from './hnsw-codec.js';
import { HnswIndex } from './hnsw-index.js';

const capabilities = { remove: true, swapRemove: false, compact: false, filter: true, threshold: true, exact: false, serialize: true };
const backends: KernelChoice[] = wasmAvailable() ? ['wasm', 'js'] : ['js'];

for (const kernels of backends) {
  describeVectorIndexConformance({
    name: `HnswIndex (${kernels} kernels)`,
    create: (dim, metric) => new HnswIndex({ dim, metric, M: 12, efConstruction: 100, efSearch: 64, kernels }),
    load: (bytes) => loadHnswIndex(bytes, { kernels }),
    capabilities,
    recallAtK: 0.9,
    // dim 1 is left out: under cosine every vector is ±1, and an approximate index cannot honour
    // brute force's lower-slot tie-break among hundreds of equal scores.
    dims: kernels === 'wasm' ? [3, 16, 128] : [3, 16],
  });
}
