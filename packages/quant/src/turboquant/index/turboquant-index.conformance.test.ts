import { METRICS, wasmAvailable, type KernelChoice } from '@quiver/core-math';
import { describeVectorIndexConformance } from '@quiver/testkit';
import { TurboQuantIndex } from './turboquant-index.js';

const backends: KernelChoice[] = wasmAvailable() ? ['js', 'wasm'] : ['js'];
const capabilities = { remove: false, swapRemove: true, compact: false, filter: true, threshold: true, exact: false, serialize: true };

// Every metric on the default backend; the TypeScript kernels once (l2: scales and offsets both in play).
const runs = backends.flatMap((kernels) => (kernels === 'js' && backends.length > 1 ? (['l2'] as const) : METRICS).map((metric) => ({ kernels, metric })));
for (const { kernels, metric } of runs) {
  {
    // Plain codes: the suite's tight clusters hold near-ties 4-bit codes cannot always separate.
    describeVectorIndexConformance({
      name: `TurboQuantIndex (${kernels} kernels, ${metric})`,
      metrics: [metric],
      create: (dim, m) => new TurboQuantIndex({ dim, metric: m, kernels }),
      load: (bytes) => TurboQuantIndex.fromBytes(bytes, { metric, kernels }),
      capabilities,
      recallAtK: 0.5,
      dims: [8, 16, 128],
      reconstructTolerance: 0.5,
      serializationDim: 8,
      detectsEveryBitFlip: false, // v7 files keep an unchecksummed op-log region (turbovec's design)
    });
  }
}

// With float16 originals and exact rerank, results match brute force closely.
describeVectorIndexConformance({
  name: 'TurboQuantIndex (float16 originals, rerank)',
  create: (dim, metric) => new TurboQuantIndex({ dim, metric, originals: 'float16', rerank: true }),
  capabilities,
  recallAtK: 0.98,
  dims: [3, 16, 128],
  reconstructTolerance: 0.01,
});
