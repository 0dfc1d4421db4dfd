// Measures TurboQuantCodec encode time per vector: single-row encodeInto (the add path) and one
// batch call, as CPU time of this process (process.cpuUsage, user + system; the machine is shared,
// so wall time mostly measures the neighbours). A baseline runs interleaved with every round, over
// the same rows: copy the row into a scratch array and sum it, about the least work an add can do
// with the vector. Figures are medians over rounds; the ratio to the baseline is the comparable one.
//
// Build first (core-math's dist must be current too: `npx tsc -p tsconfig.build.json` in core-math):
//   npx tsc -p tsconfig.build.json --outDir node_modules/.cache/quant-bench
// Then:
//   node scripts/measure-encode.mjs [--dim 1536] [--bits 2,4] [--kernels wasm,js] [--rounds 7]
//                                   [--module <path to a built turboquant-codec.js>]
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { Arena, createKernels, wasmAvailable } from '@quiver/core-math';

const { values: args } = parseArgs({
  options: {
    dim: { type: 'string', default: '1536' },
    bits: { type: 'string', default: '2,4' },
    kernels: { type: 'string', default: wasmAvailable() ? 'wasm,js' : 'js' },
    rounds: { type: 'string', default: '7' },
    rows: { type: 'string', default: '2000' },
    module: { type: 'string', default: 'node_modules/.cache/quant-bench/turboquant/turboquant-codec.js' },
  },
});
const { TurboQuantCodec } = await import(pathToFileURL(resolve(args.module)).href);
const dim = Number(args.dim);
const rounds = Number(args.rounds);
const n = Number(args.rows);

const vectors = new Float32Array(n * dim);
let seed = 12345;
for (let i = 0; i < vectors.length; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  vectors[i] = seed / 2 ** 31 - 1;
}
const rows = Array.from({ length: n }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim));

/** CPU microseconds of `fn()`. */
function cpu(fn) {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];

const scratch = new Float32Array(dim);
let sink = 0;
function baseline() {
  for (const row of rows) {
    scratch.set(row);
    let s = 0;
    for (let j = 0; j < dim; j++) s += scratch[j];
    sink += s;
  }
}

for (let w = 0; w < 20; w++) baseline(); // a warm, optimized baseline before the first figure

console.log(`TurboQuantCodec encode, dim=${dim}, ${n} rows per round, ${rounds} rounds, CPU µs per vector (median)`);
console.log(`module ${args.module}`);
for (const backend of args.kernels.split(',')) {
  const kernels = createKernels(new Arena(), backend);
  for (const bitWidth of args.bits.split(',').map(Number)) {
    for (const calibrated of [false, true]) {
      const codec = new TurboQuantCodec({ dim, bitWidth, kernels });
      if (calibrated) codec.fitCalibration(vectors.subarray(0, Math.min(n, 1000) * dim));
      const codes = new Uint8Array(codec.bytesPerRow);
      const scales = new Float32Array(1);
      const single = () => {
        for (const row of rows) codec.encodeInto(row, codes, 0, scales, 0);
      };
      const batchOut = { codes: new Uint8Array(n * codec.bytesPerRow), scales: new Float32Array(n) };
      const batch = () => codec.encode(vectors, batchOut);
      for (let w = 0; w < 3; w++) {
        single();
        baseline();
      }
      const singleTimes = [];
      const batchTimes = [];
      const baseTimes = [];
      const ratios = [];
      for (let r = 0; r < rounds; r++) {
        const base = cpu(baseline) / n;
        const one = cpu(single) / n;
        batchTimes.push(cpu(batch) / n);
        singleTimes.push(one);
        baseTimes.push(base);
        ratios.push(one / base);
      }
      console.log(
        `${backend.padEnd(4)} bits=${bitWidth} ${calibrated ? 'calibrated  ' : 'uncalibrated'}: ` +
          `single ${median(singleTimes).toFixed(2)} µs (min ${Math.min(...singleTimes).toFixed(2)}), ` +
          `batch ${median(batchTimes).toFixed(2)} µs, baseline ${median(baseTimes).toFixed(2)} µs, ` +
          `single/baseline ${median(ratios).toFixed(1)}x`,
      );
    }
  }
}
if (Number.isNaN(sink)) console.log('unreachable');
