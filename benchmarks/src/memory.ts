import { collectGarbage } from './stats.js';

export interface MemorySnapshot {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** ArrayBuffers and SharedArrayBuffers, including WebAssembly memories. */
  readonly arrayBuffersBytes: number;
  /** Peak resident set size of this process so far (getrusage maxRSS). */
  readonly peakRssBytes: number;
}

export function memorySnapshot(): MemorySnapshot {
  collectGarbage();
  const usage = process.memoryUsage();
  return {
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    arrayBuffersBytes: usage.arrayBuffers,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** Bytes a structure added, from snapshots taken before and after it was built (GC'd both times). */
export function retainedBytes(before: MemorySnapshot, after: MemorySnapshot): number {
  return after.heapUsedBytes - before.heapUsedBytes + (after.arrayBuffersBytes - before.arrayBuffersBytes);
}
