import { SeededRandom, type SearchResult } from '@quiver/core-math';
import { FlatIndex } from '@quiver/flat';
import { IdMapIndex, IdSlotTable } from '@quiver/idmap';
import { syntheticWorkload } from '../data/synthetic.js';
import type { BenchOptions } from '../options.js';
import type { Measurement, SuiteResult } from '../report.js';
import { interleavedQps, median, nowMs } from '../stats.js';
import { correctness, target } from './compare-exact.js';
import { parametersOf } from './exact.js';

/**
 * Searches through the id map should keep at least this share of the bare index's throughput. The
 * true cost is one id copy per hit (k per query), far below 1% of an exact scan; the margin is for
 * timing noise on a shared machine, where two equal runs differ by up to 10%.
 */
const SEARCH_OVERHEAD_TARGET = 0.9;
/** The TurboQuant issue's removal budget, per call. */
const REMOVE_BUDGET_US = 2;
/** Single-vector adds and removals timed one call at a time. */
const SINGLE_OPS = 4000;
/** Share of ids admitted by the filtered search. */
const ALLOW_SHARE = 0.1;

/**
 * What the id map costs on top of the index it wraps (FlatIndex here, the same for any inner
 * index): the 64-bit id hash table against JavaScript `Map`s; batch and single adds, removals and
 * searches (plain and with an id allowlist) through `IdMapIndex` against the bare `FlatIndex`
 * doing the same work by slot, in the same run.
 */
export async function runIdmapSuite(options: BenchOptions, withTargets = true): Promise<SuiteResult> {
  const { n, dim, k, seed, repeats } = options;
  const metric = options.metrics[0] ?? 'dot';
  const result: SuiteResult = {
    suite: 'idmap',
    parameters: { ...parametersOf(options, ['single', 'subset', 'threads', 'bits', 'metrics']), metric },
    measurements: [],
    checks: [],
    notes: [],
  };
  const random = new SeededRandom(seed);
  // Random u64 ids: the worst case for the hash (no sequential structure to exploit).
  const ids = new BigUint64Array(n);
  for (let i = 0; i < n; i++) ids[i] = (BigInt(random.nextInt(2 ** 31)) << 33n) ^ (BigInt(random.nextInt(2 ** 31)) << 2n) ^ BigInt(i);
  result.measurements.push(...measureHashTables(ids));

  const { base, queries } = syntheticWorkload({ ...options, queries: options.queries });
  // Room for the single adds up front: both indexes share one arena, and growing one 100k-row
  // block while the other sits above it would time the arena, not the id map.
  const capacity = n + Math.min(SINGLE_OPS, n);
  const bare = new FlatIndex({ dim, metric, kernels: options.kernels, initialCapacity: capacity });
  const mapped = new IdMapIndex(new FlatIndex({ dim, metric, kernels: options.kernels, initialCapacity: capacity }));
  try {
    const section = `${n}×${dim} ${metric}`;
    const bareAdd = time(() => bare.add(base));
    const mappedAdd = time(() => mapped.addWithIds(base, ids));
    // The id table through the public API: bigint in, split into halves, looked up.
    let found = 0;
    let slotOfMs = Infinity;
    for (let round = 0; round < TABLE_ROUNDS; round++) {
      found = 0;
      slotOfMs = Math.min(slotOfMs, time(() => {
        for (let i = 0; i < n; i++) found += mapped.slotOf(ids[i]!) >= 0 ? 1 : 0;
      }));
    }
    result.measurements.push({
      section: `id table, ${n} random u64 ids`,
      system: 'IdMapIndex.slotOf(bigint)',
      figure: 'lookup (ns/id)',
      value: (slotOfMs * 1e6) / n,
      unit: 'ns',
      better: 'lower',
      quiver: true,
    });
    result.checks.push(correctness('every added id is found', found === n, `${found} of ${n}`));
    result.measurements.push(
      row(section, 'bare FlatIndex', 'batch add (ms)', bareAdd, 'ms', 'lower', true),
      row(section, 'IdMapIndex(FlatIndex)', 'batch add (ms)', mappedAdd, 'ms', 'lower', false),
    );

    const [bareQps, mappedQps] = await interleavedQps(queries.length / dim, repeats, [() => bare.search(queries, k), () => mapped.search(queries, k)]);
    result.measurements.push(
      row(section, 'bare FlatIndex', `search qps (k=${k})`, bareQps!, 'q/s', 'higher', true),
      row(section, 'IdMapIndex(FlatIndex)', `search qps (k=${k})`, mappedQps!, 'q/s', 'higher', false),
    );
    const same = sameHits(bare.search(queries, k), mapped.search(queries, k));
    result.checks.push(correctness('IdMapIndex search returns the bare index hits', same, same ? 'identical slots and scores' : 'results differ'));
    if (withTargets) {
      const ratio = mappedQps! / bareQps!;
      result.checks.push(target(`search overhead: >= ${SEARCH_OVERHEAD_TARGET}x bare throughput`, ratio >= SEARCH_OVERHEAD_TARGET, `${ratio.toFixed(3)}x`));
    }

    // Filtered: an allowlist of ids (compiled to a slot bitset per call) against the bare index
    // given the equivalent bitset it did not have to build.
    const allowed = Array.from(ids.subarray(0, Math.max(1, Math.floor(n * ALLOW_SHARE))));
    const slotFilter = mapped.allowedSlots(allowed);
    const [bareFiltered, mappedFiltered] = await interleavedQps(queries.length / dim, repeats, [
      () => bare.search(queries, k, { filter: slotFilter }),
      () => mapped.search(queries, k, { allow: allowed }),
    ]);
    const filteredFigure = `search qps, ${ALLOW_SHARE * 100}% allowlist`;
    result.measurements.push(
      row(section, 'bare FlatIndex + prebuilt bitset', filteredFigure, bareFiltered!, 'q/s', 'higher', true),
      row(section, 'IdMapIndex(FlatIndex) + id allowlist', filteredFigure, mappedFiltered!, 'q/s', 'higher', false),
    );
    const filteredSame = sameHits(bare.search(queries, k, { filter: slotFilter }), mapped.search(queries, k, { allow: allowed }));
    result.checks.push(correctness('allowlist search returns the bare filtered hits', filteredSame, filteredSame ? 'identical' : 'results differ'));

    // Single operations, one call at a time: add one vector, then remove it again. The first
    // half of the calls warms the JIT up; the second half is timed.
    const singles = Math.min(SINGLE_OPS, n);
    const extraIds = new BigUint64Array(singles);
    for (let i = 0; i < singles; i++) extraIds[i] = ids[i]! + (1n << 63n);
    const oneRow = (i: number) => base.subarray((i % n) * dim, ((i % n) + 1) * dim);
    const [bareAddUs, mappedAddUs] = alternatingPerCall(
      singles,
      (i) => bare.add(oneRow(i)),
      (i) => mapped.addWithIds(oneRow(i), extraIds.subarray(i, i + 1)),
    );
    // Remove as many vectors again: the bare index by slot (what a caller without ids would have
    // to track itself), the id map by id.
    const [bareRemoveUs, mappedRemoveUs] = alternatingPerCall(
      singles,
      (i) => bare.swapRemove((i * 7919) % (bare.slotCount - 1)),
      (i) => mapped.remove(extraIds[i]!),
    );
    const singleSection = `${section}, single calls`;
    result.measurements.push(
      row(singleSection, 'bare FlatIndex', 'add one (µs)', bareAddUs, 'µs', 'lower', true),
      row(singleSection, 'IdMapIndex(FlatIndex)', 'add one (µs)', mappedAddUs, 'µs', 'lower', false),
      row(singleSection, 'bare FlatIndex (swapRemove)', 'remove one (µs)', bareRemoveUs, 'µs', 'lower', true),
      row(singleSection, 'IdMapIndex(FlatIndex)', 'remove one (µs)', mappedRemoveUs, 'µs', 'lower', false),
    );
    mapped.checkConsistency();
    result.checks.push(correctness('id tables consistent after the single-call churn', true, `${mapped.size} ids`));
    if (withTargets) {
      result.checks.push(target(`IdMapIndex remove under ${REMOVE_BUDGET_US} µs`, mappedRemoveUs < REMOVE_BUDGET_US, `${mappedRemoveUs.toFixed(3)} µs at dim ${dim}`));
    }
    result.notes.push(
      `Ids are random 64-bit bigints. Hash-table figures are per operation over ${n} ids; single calls are the mean of the last ${singles - Math.floor(singles / 2)} of ${singles} calls (the first half warms up), bare and id-mapped timed in alternating stretches of ${STRETCH} calls, median stretch kept.`,
      'The id map adds a hash lookup per removal and an id translation per hit; removal of the inner row (FlatIndex.swapRemove moves dim floats) is part of both rows.',
    );
  } finally {
    bare.dispose();
    (mapped.index as FlatIndex).dispose();
  }
  return result;
}

/** Rounds per hash-table figure; the best is kept (the first rounds include JIT warm-up). */
const TABLE_ROUNDS = 5;

/** One contender of the id-table comparison: builds a fresh table from ids 0..n-1, then looks each up. */
interface TableContender {
  readonly system: string;
  readonly quiver: boolean;
  /** Returns a lookup run over the same ids (its result keeps the work observable). */
  readonly build: () => () => number;
}

/** Insert and lookup cost of Quiver's id table against JavaScript Maps keyed by bigint and number. */
function measureHashTables(ids: BigUint64Array): Measurement[] {
  const n = ids.length;
  const section = `id table, ${n} random u64 ids`;
  const halves = new Uint32Array(ids.buffer, ids.byteOffset, n * 2);
  // Only ids below 2^53 fit a number key: these keep 53 of each id's bits, the best case of a number-keyed Map.
  const numberKeys = new Float64Array(n);
  for (let i = 0; i < n; i++) numberKeys[i] = halves[i * 2 + 1]! * 0x200000 + (halves[i * 2]! >>> 11);
  const contenders: TableContender[] = [
    {
      system: 'IdSlotTable (uint32 halves)',
      quiver: true,
      build: () => {
        const table = new IdSlotTable();
        for (let i = 0; i < n; i++) table.insert(halves[i * 2]!, halves[i * 2 + 1]!, i);
        return () => {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += table.get(halves[i * 2]!, halves[i * 2 + 1]!);
          return sum;
        };
      },
    },
    {
      system: 'Map<bigint, number>',
      quiver: false,
      build: () => {
        const map = new Map<bigint, number>();
        for (let i = 0; i < n; i++) map.set(ids[i]!, i);
        return () => {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += map.get(ids[i]!)!;
          return sum;
        };
      },
    },
    {
      system: 'Map<number, number> (53-bit ids)',
      quiver: false,
      build: () => {
        const map = new Map<number, number>();
        for (let i = 0; i < n; i++) map.set(numberKeys[i]!, i);
        return () => {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += map.get(numberKeys[i]!)!;
          return sum;
        };
      },
    },
  ];
  const best = contenders.map(() => ({ insert: Infinity, lookup: Infinity }));
  let sink = 0;
  for (let round = 0; round < TABLE_ROUNDS; round++) {
    contenders.forEach((contender, c) => {
      let lookup: () => number = () => 0;
      best[c]!.insert = Math.min(best[c]!.insert, time(() => (lookup = contender.build())));
      best[c]!.lookup = Math.min(best[c]!.lookup, time(() => (sink += lookup())));
    });
  }
  if (sink === -1) throw new RangeError('unreachable: keeps the lookups observable');
  return contenders.flatMap(({ system, quiver }, c) => [
    { section, system, figure: 'insert (ns/id)', value: (best[c]!.insert * 1e6) / n, unit: 'ns', better: 'lower' as const, quiver },
    { section, system, figure: 'lookup (ns/id)', value: (best[c]!.lookup * 1e6) / n, unit: 'ns', better: 'lower' as const, quiver },
  ]);
}

function row(section: string, system: string, figure: string, value: number, unit: string, better: 'higher' | 'lower', reference: boolean): Measurement {
  return { section, system, figure, value, unit, better, quiver: true, ...(reference ? { reference: true } : {}) };
}

function time(fn: () => unknown): number {
  const start = nowMs();
  fn();
  return nowMs() - start;
}

/** Calls per timed stretch: long enough to hide the clock's cost, short enough to alternate often. */
const STRETCH = 50;

/**
 * Microseconds per call of `a(i)` and of `b(i)` over the second half of `0..count-1` (the first
 * half warms up), timed in alternating stretches (a a a ... b b b ... a a a ...) so that a change
 * in background load hits both alike; the median stretch is kept, so a stretch that lost the CPU
 * to another process does not count.
 */
function alternatingPerCall(count: number, a: (i: number) => unknown, b: (i: number) => unknown): [number, number] {
  const half = Math.floor(count / 2);
  for (let i = 0; i < half; i++) {
    a(i);
    b(i);
  }
  const stretchesA: number[] = [];
  const stretchesB: number[] = [];
  for (let start = half; start < count; start += STRETCH) {
    const end = Math.min(count, start + STRETCH);
    let t = nowMs();
    for (let i = start; i < end; i++) a(i);
    stretchesA.push(((nowMs() - t) * 1000) / (end - start));
    t = nowMs();
    for (let i = start; i < end; i++) b(i);
    stretchesB.push(((nowMs() - t) * 1000) / (end - start));
  }
  return [median(stretchesA), median(stretchesB)];
}

function sameHits(a: SearchResult, b: SearchResult): boolean {
  if (a.slots.length !== b.slots.length) return false;
  for (let i = 0; i < a.slots.length; i++) if (a.slots[i] !== b.slots[i] || !Object.is(a.scores[i], b.scores[i])) return false;
  return true;
}
