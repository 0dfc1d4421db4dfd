import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '../../environment.js';
import type { Check, Measurement, Report, SuiteResult } from '../../report.js';

/** What a partial run of the hnsw suite re-measured. */
export interface RerunScope {
  /** Workload labels (`cosine 100000×128`) whose comparison curves ran. */
  readonly curveLabels: readonly string[];
  readonly pq: boolean;
  readonly deletion: boolean;
  readonly siftsmall: boolean;
  readonly filtered: boolean;
}

const isPq = (key: string) => key.includes('PQ-HNSW');
const isDeletion = (key: string) => key.includes('after deleting') || key.includes('deleted point') || key.includes('drop after deleting');

/** Whether a section, check name or note of an earlier run belongs to a part this run re-measured. */
export function rerunOwns(scope: RerunScope, key: string): boolean {
  if (isPq(key)) return scope.pq;
  if (isDeletion(key)) return scope.deletion;
  if (key.startsWith('siftsmall')) return scope.siftsmall;
  if (key.startsWith('sigmod2024-dummy') || key.startsWith('filtered search')) return scope.filtered;
  return scope.curveLabels.some((label) => key.startsWith(`${label} · `) || key.startsWith(`${label}: `));
}

/** The workload label of a section (`label · part`) or check (`label: claim`). */
function labelOf(key: string): string {
  const cut = [' · ', ': '].map((sep) => key.indexOf(sep)).filter((at) => at >= 0);
  return cut.length > 0 ? key.slice(0, Math.min(...cut)) : key;
}

/**
 * Inserts each new item after the kept items of the same workload label (at the place of the
 * item it replaces when one had its exact key), else at the end: the report keeps its order.
 */
function mergeOrdered<T>(kept: readonly T[], fresh: readonly T[], key: (item: T) => string, replacedKeys: readonly string[]): T[] {
  const out = [...kept];
  const groups = new Map<string, T[]>();
  for (const item of fresh) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  for (const [group, items] of groups) {
    let at = -1;
    const oldPlace = replacedKeys.indexOf(group);
    if (oldPlace >= 0) {
      // The first kept item that came after the replaced one in the old order.
      const later = new Set(replacedKeys.slice(oldPlace + 1));
      at = out.findIndex((item) => later.has(key(item)));
    }
    if (at < 0) {
      const lastSameLabel = out.map(key).map(labelOf).lastIndexOf(labelOf(group));
      at = lastSameLabel >= 0 ? lastSameLabel + 1 : out.length;
    }
    out.splice(at, 0, ...items);
  }
  return out;
}

/**
 * Folds a partial run (`--parts`) into the suite's existing results file in `outDir`: the sections,
 * checks and notes of the parts that ran are replaced, everything else is kept, and a note records
 * which run measured what. Without an earlier file the partial result stands alone.
 */
export function mergeWithPrevious(result: SuiteResult, outDir: string, scope: RerunScope, parts: readonly string[]): SuiteResult {
  const file = join(outDir, `${result.suite}.json`);
  if (!existsSync(file)) return result;
  const previous = JSON.parse(readFileSync(file, 'utf8')) as Report;
  const oldMeasurements: Measurement[] = previous.measurements.map(({ ratios: _ratios, ...m }) => m);
  const keptMeasurements = oldMeasurements.filter((m) => !rerunOwns(scope, m.section));
  const oldOrder = [...new Set(oldMeasurements.map((m) => m.section))];
  const measurements = mergeOrdered(keptMeasurements, result.measurements, (m) => m.section, oldOrder);
  const keptChecks = previous.checks.filter((c) => !rerunOwns(scope, c.name));
  const checks = mergeOrdered<Check>(keptChecks, result.checks, (c) => c.name, previous.checks.map((c) => c.name));
  const fresh = new Set(result.notes);
  const keptNotes = previous.notes.filter((note) => !rerunOwns(scope, note) && !fresh.has(note) && !note.startsWith('Peak RSS') && !result.notes.some((n) => sameWorkloadNote(n, note)));
  const env: Environment = previous.environment;
  const notes = [
    ...keptNotes,
    `Partial run (--parts ${parts.join(',')}) folded into this report: its sections, checks and notes replace the earlier ones; the rest come from the run of ${env.date} (\`${env.command}\`, commit ${env.commit?.slice(0, 7) ?? 'unknown'}${env.dirty ? ' + uncommitted changes' : ''}, load average ${env.loadAverage.join(' / ')} at its start). The header shows the partial run.`,
    ...result.notes,
  ];
  return { ...result, measurements, checks, notes };
}

/** Notes like "Synthetic 100000×768 generated in ..." describe the same workload: the newer one wins. */
function sameWorkloadNote(a: string, b: string): boolean {
  const head = (note: string) => note.split(' generated in ')[0]!;
  return a.includes(' generated in ') && b.includes(' generated in ') && head(a) === head(b);
}
