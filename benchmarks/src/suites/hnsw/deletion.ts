import { SeededRandom, SlotBitset, type Metric } from '@quiver/core-math';
import type { Workload } from '../../data/synthetic.js';
import type { BenchOptions } from '../../options.js';
import { nowMs } from '../../stats.js';
import { correctness, target, type PartResult } from '../compare-exact.js';
import { RECALL_TARGET, type BuiltGraph } from './compare-graphs.js';
import { measureCurves } from './curve.js';
import { exactNeighbours, recallScorer } from './exact-truth.js';

/** The deletion test: remove this share of the points ... */
export const DELETED_FRACTION = 0.3;
/** ... and recall@k at the same efSearch may drop by at most this much. */
const MAX_RECALL_DROP = 0.02;

export interface DeletionRun {
  readonly label: string;
  readonly workload: Workload;
  readonly metric: Metric;
  readonly options: BenchOptions;
  readonly targets: boolean;
}

/** `count` distinct slots of `0..n-1`, seeded (partial Fisher–Yates). */
function pickSlots(n: number, count: number, seed: number): Int32Array {
  const slots = Int32Array.from({ length: n }, (_, i) => i);
  const random = new SeededRandom(seed);
  for (let i = 0; i < count; i++) {
    const j = i + random.nextInt(n - i);
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  return slots.subarray(0, count);
}

/**
 * Removes DELETED_FRACTION of the points from every built graph (tombstones; Quiver repairs the
 * neighbours) and measures recall@k against the exact answers over the survivors, at the
 * efSearch where Quiver's graph first reached RECALL_TARGET before the deletions.
 */
export function measureDeletion(run: DeletionRun, graphs: readonly BuiltGraph[], out: PartResult): void {
  const { workload, metric, options, label } = run;
  const { k } = options;
  const n = workload.base.length / workload.dim;
  const queryCount = workload.queries.length / workload.dim;
  const reference = graphs.find((g) => g.builder.quiver) ?? graphs[0]!;
  const efSearch = (reference.curve.find((p) => p.recall >= RECALL_TARGET) ?? reference.curve[reference.curve.length - 1]!).efSearch;
  const deleted = pickSlots(n, Math.floor(DELETED_FRACTION * n), options.seed + 3);
  const live = new SlotBitset(n);
  for (let slot = 0; slot < n; slot++) live.add(slot);
  for (const slot of deleted) live.delete(slot);
  const recallOf = recallScorer(workload, metric, k, exactNeighbours(workload, metric, k, options.kernels, live));
  const section = `${label} · after deleting ${DELETED_FRACTION * 100}% (efSearch ${efSearch})`;

  const removeMs = graphs.map(({ graph }) => {
    const start = nowMs();
    for (const slot of deleted) graph.remove(slot);
    return nowMs() - start;
  });
  // All graphs in one curve run: they take turns round by round over --repeats rounds, so a burst
  // of background load (or a GC pause: at small sizes a round lasts milliseconds) hits them alike.
  const ids: Int32Array[] = [];
  const afterPoints = measureCurves(
    graphs.map((g) => g.graph),
    { efSearch: [efSearch], k, queryCount, repeats: options.repeats, recallOf: (found) => (ids.push(found.slice()), recallOf(found)) },
  ).map((curve) => curve[0]!);
  graphs.forEach(({ builder, curve }, g) => {
    const before = curve.find((p) => p.efSearch === efSearch)!;
    const after = afterPoints[g]!;
    const drop = before.recall - after.recall;
    const base = { section, system: builder.system, quiver: builder.quiver } as const;
    out.measurements.push(
      { ...base, figure: 'recall@k before', value: before.recall, unit: '', better: 'higher' },
      { ...base, figure: 'recall@k after', value: after.recall, unit: '', better: 'higher', note: `drop ${drop.toFixed(4)}; vs exact search over the ${n - deleted.length} survivors; strict ${after.strictRecall.toFixed(4)}` },
      { ...base, figure: 'throughput after', value: after.qps, unit: 'q/s', better: 'higher', note: `one query per call, median of ${options.repeats} rounds` },
      { ...base, figure: `remove ${deleted.length} points`, value: removeMs[g]!, unit: 'ms', better: 'lower' },
    );
    let returnedDeleted = 0;
    for (const id of ids[g]!) if (id >= 0 && !live.has(id)) returnedDeleted++;
    out.checks.push(correctness(`${label}: ${builder.system} returns no deleted point`, returnedDeleted === 0, `${returnedDeleted} deleted ids returned`));
    if (builder.quiver && run.targets) {
      out.checks.push(target(`${label}: ${builder.system} recall@${k} drop after deleting ${DELETED_FRACTION * 100}% ≤ ${MAX_RECALL_DROP}`, drop <= MAX_RECALL_DROP, `${before.recall.toFixed(4)} → ${after.recall.toFixed(4)} at efSearch ${efSearch}`));
    }
  });
}
