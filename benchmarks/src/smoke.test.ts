import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { numpyUnavailableReason } from './baselines/numpy.js';
import { siftsmallMissing } from './data/siftsmall.js';
import { collectEnvironment } from './environment.js';
import { parseCommandLine } from './options.js';
import { buildReport, writeReport } from './report.js';
import { sigmodDummyMissing } from './suites/hnsw/sigmod-dummy.js';
import { runSmokeSuite } from './suites/smoke.js';
import { closeWorkerPools } from './worker-pools.js';

/**
 * The smoke suite's core at tiny sizes, so `pnpm test` covers the harness: every system runs,
 * every correctness check passes and every figure is a real number. No timing is asserted.
 */
describe('benchmark harness (smoke sizes)', () => {
  const out = mkdtempSync(join(tmpdir(), 'quiver-bench-test-'));
  afterAll(async () => {
    await closeWorkerPools();
    rmSync(out, { recursive: true, force: true });
  });

  it('runs every suite, passes its correctness checks and writes the report', async () => {
    const { suite, options } = parseCommandLine(['smoke', '--n', '600', '--dim', '16', '--queries', '20', '--single', '5', '--subset', '5', '--out', out]);
    const result = await runSmokeSuite(options);
    const report = buildReport(result, collectEnvironment(['smoke']));
    const failed = report.checks.filter((c) => !c.pass);
    expect(failed).toEqual([]);
    // One Quiver-vs-truth recall check per exact metric, plus the pool and siftsmall checks.
    expect(report.checks.filter((c) => c.name.includes('recall@10')).length).toBeGreaterThanOrEqual(3);
    for (const m of report.measurements) expect(Number.isFinite(m.value), `${m.section} ${m.system} ${m.figure}`).toBe(true);
    const systems = new Set(report.measurements.map((m) => m.system));
    expect([...systems].some((s) => s.startsWith('quiver flat'))).toBe(true);
    expect(systems.has('plain TS loop')).toBe(true);
    expect(systems.has('LangChain MemoryVectorStore')).toBe(true);
    expect(systems.has('quiver 1-bit')).toBe(true);
    expect(systems.has('quiver hnsw')).toBe(true);
    expect(report.measurements.some((m) => m.section.includes('filter · efSearch'))).toBe(!sigmodDummyMissing(options.datasets));
    if (!numpyUnavailableReason()) expect(systems.has('numpy, one GEMM')).toBe(true);
    if (!siftsmallMissing(options.datasets)) expect(report.measurements.some((m) => m.section.startsWith('siftsmall'))).toBe(true);
    // Every Quiver throughput row carries a ratio against the baselines of its section.
    const quiverBatch = report.measurements.find((m) => m.quiver && m.figure === 'throughput' && m.system.endsWith('1 thread'));
    expect(Object.keys(quiverBatch?.ratios ?? {})).toContain('plain TS loop');

    const paths = writeReport(report, out);
    expect(suite).toBe('smoke');
    expect(JSON.parse(readFileSync(paths.json, 'utf8')).environment.node).toBe(process.version);
    expect(readFileSync(paths.markdown, 'utf8')).toContain('| system | figure | value |');
  });

  it('rejects unknown suites and bad numbers with typed errors', () => {
    expect(() => parseCommandLine(['nope'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseCommandLine(['exact', '--k', '0'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseCommandLine(['quantized', '--bits', '9'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
