/** Timing helpers. Every duration is in milliseconds, measured with the monotonic clock. */

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The q-quantile (0..1) of `values` by nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly samples: number;
}

export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  const mean = latenciesMs.reduce((sum, v) => sum + v, 0) / latenciesMs.length;
  return { p50Ms: percentile(latenciesMs, 0.5), p99Ms: percentile(latenciesMs, 0.99), meanMs: mean, samples: latenciesMs.length };
}

/** Times `fn` once per query index, after `warmup` untimed calls. */
export function timeEach(count: number, warmup: number, fn: (i: number) => void): number[] {
  for (let i = 0; i < warmup; i++) fn(i % count);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = nowMs();
    fn(i);
    latencies.push(nowMs() - start);
  }
  return latencies;
}

export async function timeEachAsync(count: number, warmup: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i % count);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = nowMs();
    await fn(i);
    latencies.push(nowMs() - start);
  }
  return latencies;
}

/**
 * Queries per second of a batch: runs `fn` (which handles `queries` queries) `repeats` times after
 * one warm-up run and keeps the median duration, which resists a noisy neighbour better than the mean.
 */
export async function batchQps(queries: number, repeats: number, fn: () => unknown): Promise<{ qps: number; medianMs: number }> {
  await fn();
  const durations: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = nowMs();
    await fn();
    durations.push(nowMs() - start);
  }
  const medianMs = median(durations);
  return { qps: (queries * 1000) / medianMs, medianMs };
}

/**
 * Queries per second of several ways to run the same batch, timed in alternation (A B A B ...)
 * after one warm-up each, so a change in background load hits every contender alike.
 */
export async function interleavedQps(queries: number, repeats: number, contenders: readonly (() => unknown)[]): Promise<number[]> {
  for (const run of contenders) await run();
  const durations = contenders.map((): number[] => []);
  for (let r = 0; r < repeats; r++) {
    for (let c = 0; c < contenders.length; c++) {
      const start = nowMs();
      await contenders[c]!();
      durations[c]!.push(nowMs() - start);
    }
  }
  return durations.map((d) => (queries * 1000) / median(d));
}

export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
