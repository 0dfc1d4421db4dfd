import { describe, expect, it } from 'vitest';
import { qpsAtRecall, type CurvePoint } from './curve.js';
import { timestampWindow } from './sigmod-dummy.js';

const point = (efSearch: number, recall: number, qps: number): CurvePoint => ({ efSearch, recall, strictRecall: recall, qps, p50Ms: 0, p99Ms: 0 });

describe('qpsAtRecall', () => {
  const curve = [point(64, 0.97, 1000), point(16, 0.9, 3000), point(32, 0.94, 2000)];

  it('interpolates linearly in recall between the settings around the target, in efSearch order', () => {
    // 0.95 lies a third of the way from 0.94 (2000 q/s) to 0.97 (1000 q/s).
    const at = qpsAtRecall(curve, 0.95);
    expect(at.how).toBe('interpolated');
    expect(at.qps).toBeCloseTo(2000 - 1000 / 3, 6);
  });

  it('gives a lower bound when the smallest efSearch already reaches the target, NaN when none does', () => {
    expect(qpsAtRecall(curve, 0.85)).toEqual({ qps: 3000, how: 'lower bound' });
    const unreached = qpsAtRecall(curve, 0.99);
    expect(unreached.how).toBe('unreached');
    expect(unreached.qps).toBeNaN();
  });

  it('reads another throughput column when asked', () => {
    const batch = curve.map((p) => ({ ...p, batchQps: p.qps * 2 }));
    expect(qpsAtRecall(batch, 0.95, (p) => p.batchQps!).qps).toBeCloseTo(2 * (2000 - 1000 / 3), 6);
  });
});

describe('timestampWindow', () => {
  it('keeps the central share of the points', () => {
    const timestamps = Float32Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 10000);
    const { from, to } = timestampWindow(timestamps, 1000, 0.1);
    const kept = timestamps.filter((t) => t >= from && t <= to).length;
    expect(kept).toBe(100);
    expect(from).toBeCloseTo(0.045, 6);
  });
});
