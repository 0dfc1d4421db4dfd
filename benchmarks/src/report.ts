import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from './environment.js';

/** Which direction of a figure is better: latency and bytes go down, throughput and recall go up. */
export type Better = 'higher' | 'lower';

export interface Measurement {
  /** Groups figures measured on the same workload, e.g. `dot · batch of 1000`. */
  readonly section: string;
  readonly system: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  readonly better: Better;
  /** Quiver's own rows get ratios; baselines (numpy, plain loop, LangChain) are what they are compared to. */
  readonly quiver: boolean;
  /** Other Quiver rows of the section are compared against this one too (e.g. one thread vs a pool). */
  readonly reference?: boolean;
  readonly note?: string;
}

/** A measurement with its ratios: `> 1` always means Quiver is better by that factor. */
export interface RatedMeasurement extends Measurement {
  readonly ratios: Readonly<Record<string, number>>;
}

export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
  /** A correctness failure always fails the run; a missed performance target only with `--strict`. */
  readonly kind: 'correctness' | 'target';
}

export interface SuiteResult {
  readonly suite: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly measurements: Measurement[];
  readonly checks: Check[];
  readonly notes: string[];
}

export interface Report extends Omit<SuiteResult, 'measurements'> {
  readonly environment: Environment;
  readonly measurements: RatedMeasurement[];
}

function isReferenceFor(row: Measurement, other: Measurement): boolean {
  return other !== row && other.section === row.section && other.figure === row.figure && (!other.quiver || other.reference === true);
}

/** Ratio of `row` over `reference`, oriented so that `> 1` means `row` is better. */
function ratio(row: Measurement, reference: Measurement): number {
  return row.better === 'higher' ? row.value / reference.value : reference.value / row.value;
}

export function rateMeasurements(measurements: readonly Measurement[]): RatedMeasurement[] {
  return measurements.map((row) => {
    const ratios: Record<string, number> = {};
    if (row.quiver) {
      for (const other of measurements) if (isReferenceFor(row, other)) ratios[other.system] = ratio(row, other);
    }
    return { ...row, ratios };
  });
}

export function buildReport(result: SuiteResult, environment: Environment): Report {
  return { ...result, environment, measurements: rateMeasurements(result.measurements) };
}

function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === '') return value.toFixed(4); // recall and other fractions
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : String(value);
}

export function renderMarkdown(report: Report): string {
  const env = report.environment;
  const lines: string[] = [
    `# Benchmark: ${report.suite}`,
    '',
    `Command: \`${env.command}\`  `,
    `Date: ${env.date} · Node ${env.node} · ${env.platform} · ${env.cpuModel} (${env.logicalCpus} logical CPUs)  `,
    `Commit: ${env.commit ?? 'unknown'}${env.dirty ? ' (with uncommitted changes)' : ''} · load average at start ${env.loadAverage.join(' / ')}`,
    '',
    `Parameters: ${Object.entries(report.parameters)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join(', ')}`,
    '',
    'Ratios: `vs X` = how many times better Quiver is than X on that figure (> 1 is better, for latency and bytes too).',
  ];
  const sections = [...new Set(report.measurements.map((m) => m.section))];
  for (const section of sections) {
    const rows = report.measurements.filter((m) => m.section === section);
    const references = [...new Set(rows.flatMap((m) => Object.keys(m.ratios)))];
    lines.push('', `## ${section}`, '');
    lines.push(`| system | figure | value | ${references.map((r) => `vs ${r}`).join(' | ')}${references.length ? ' | ' : ''}note |`);
    lines.push(`|---|---|---:|${references.map(() => '---:|').join('')}---|`);
    for (const m of rows) {
      const cells = references.map((r) => (m.ratios[r] === undefined ? '' : formatRatio(m.ratios[r]!)));
      lines.push(`| ${m.system} | ${m.figure} | ${formatNumber(m.value, m.unit)}${m.unit ? ` ${m.unit}` : ''} | ${cells.join(' | ')}${cells.length ? ' | ' : ''}${m.note ?? ''} |`);
    }
  }
  if (report.checks.length > 0) {
    lines.push('', '## Checks', '', '| check | kind | result | detail |', '|---|---|---|---|');
    for (const c of report.checks) lines.push(`| ${c.name} | ${c.kind} | ${c.pass ? 'pass' : '**FAIL**'} | ${c.detail} |`);
  }
  if (report.notes.length > 0) {
    lines.push('', '## Notes', '');
    for (const note of report.notes) lines.push(`- ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `<dir>/<suite>.json` and `<dir>/<suite>.md`; returns their paths. */
export function writeReport(report: Report, dir: string): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${report.suite}.json`);
  const markdown = join(dir, `${report.suite}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report));
  return { json, markdown };
}
