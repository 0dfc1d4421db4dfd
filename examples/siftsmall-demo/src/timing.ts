const TIMED_RUNS = 5;

/** Median queries per second of `runs` timed batches (after one warm-up). */
export function queriesPerSecond(queryCount: number, search: () => unknown): number {
  search();
  const durations: number[] = [];
  for (let r = 0; r < TIMED_RUNS; r++) {
    const start = performance.now();
    search();
    durations.push(performance.now() - start);
  }
  durations.sort((a, b) => a - b);
  return (queryCount * 1000) / durations[Math.floor(durations.length / 2)]!;
}

export function formatQps(qps: number): string {
  return Math.round(qps).toLocaleString('en-US');
}

/** Runs `build` and returns its result with the elapsed milliseconds. */
export function timed<T>(build: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = build();
  return { value, ms: performance.now() - start };
}
