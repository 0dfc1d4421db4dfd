import { describe, expect, it } from 'vitest';
import { rateMeasurements, renderMarkdown, type Measurement } from './report.js';

const row = (system: string, value: number, extra: Partial<Measurement> = {}): Measurement => ({
  section: 's',
  system,
  figure: 'throughput',
  value,
  unit: 'q/s',
  better: 'higher',
  quiver: false,
  ...extra,
});

describe('rateMeasurements', () => {
  it('orients every ratio so that > 1 means Quiver is better', () => {
    const [quiver] = rateMeasurements([row('quiver', 300, { quiver: true }), row('numpy', 100)]);
    expect(quiver!.ratios).toEqual({ numpy: 3 });
    const [fast] = rateMeasurements([
      row('quiver', 2, { quiver: true, better: 'lower', figure: 'latency' }),
      row('numpy', 8, { better: 'lower', figure: 'latency' }),
    ]);
    expect(fast!.ratios).toEqual({ numpy: 4 });
  });

  it('compares only within a section and figure, and against Quiver rows marked as reference', () => {
    const rated = rateMeasurements([
      row('quiver 1 thread', 100, { quiver: true, reference: true }),
      row('quiver 2 threads', 180, { quiver: true }),
      row('numpy', 50),
      row('numpy', 1, { section: 'other' }),
      row('numpy', 1, { figure: 'recall' }),
    ]);
    expect(rated[0]!.ratios).toEqual({ numpy: 2 });
    expect(rated[1]!.ratios).toEqual({ 'quiver 1 thread': 1.8, numpy: 3.6 });
    expect(rated[2]!.ratios).toEqual({});
  });
});

describe('renderMarkdown', () => {
  it('prints one table per section with a ratio column per reference', () => {
    const text = renderMarkdown({
      suite: 'x',
      parameters: { n: 1 },
      measurements: rateMeasurements([row('quiver', 300, { quiver: true }), row('numpy', 100)]),
      checks: [{ name: 'c', pass: false, detail: 'd', kind: 'target' }],
      notes: ['hello'],
      environment: { node: 'v20', platform: 'p', cpuModel: 'cpu', logicalCpus: 2, totalMemoryBytes: 1, commit: null, dirty: null, date: 'now', command: 'pnpm bench x', loadAverage: [0, 0, 0] },
    });
    expect(text).toContain('| system | figure | value | vs numpy | note |');
    expect(text).toContain('| quiver | throughput | 300.0 q/s | 3.00× |');
    expect(text).toContain('**FAIL**');
    expect(text).toContain('- hello');
  });
});
