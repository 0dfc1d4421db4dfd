// Measures TurboQuantCodec encode time per vector (single adds and a batch) at d = 1536, as CPU
// time of this process (the machine is shared, so wall time mostly measures the neighbours).
// Build first: npx tsc -p tsconfig.build.json --outDir node_modules/.cache/quant-bench
// Then:        node scripts/measure-encode.mjs [dim] [bitWidth]
const { TurboQuantCodec } = await import('../node_modules/.cache/quant-bench/turboquant/turboquant-codec.js');
const dim = Number(process.argv[2] ?? 1536);
const bitWidth = Number(process.argv[3] ?? 4);
const n = 2000;
const vectors = new Float32Array(n * dim);
let s = 12345;
for (let i = 0; i < vectors.length; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  vectors[i] = s / 2 ** 31 - 1;
}

for (const calibrated of [false, true]) {
  const codec = new TurboQuantCodec({ dim, bitWidth });
  if (calibrated) codec.fitCalibration(vectors.subarray(0, 1000 * dim));
  const codes = new Uint8Array(codec.bytesPerRow);
  const scales = new Float32Array(1);
  const rows = Array.from({ length: n }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim));
  for (let r = 0; r < 3; r++) for (const row of rows) codec.encodeInto(row, codes, 0, scales, 0); // warm up
  const times = [];
  for (let round = 0; round < 5; round++) {
    const t0 = process.cpuUsage();
    for (const row of rows) codec.encodeInto(row, codes, 0, scales, 0);
    times.push(process.cpuUsage(t0).user / n);
  }
  times.sort((a, b) => a - b);
  const t0 = process.cpuUsage();
  codec.encode(vectors);
  const batch = process.cpuUsage(t0).user / n;
  console.log(
    `dim=${dim} bits=${bitWidth} ${calibrated ? 'calibrated  ' : 'uncalibrated'}: single add median ${times[2].toFixed(2)} µs ` +
      `(min ${times[0].toFixed(2)}), batch of ${n} ${batch.toFixed(2)} µs/vector`,
  );
}
