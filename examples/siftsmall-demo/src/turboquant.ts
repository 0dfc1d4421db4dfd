import { TurboQuantIndex } from '@quiver/quant';
import type { SiftSmall } from './siftsmall.js';
import { tieAwareRecallL2 } from './recall.js';
import { formatQps, queriesPerSecond, timed } from './timing.js';

const K = 10;

/**
 * TurboQuant at 2 and 4 bits per coordinate (turbovec's encoding), l2: recall@10 against the
 * shipped ground truth, as codes alone and with an exact rerank of a shortlist from float16
 * originals, and batch throughput as a ratio to exact search in the same run.
 */
export function turboQuantSection(sift: SiftSmall, exactBatchQps: number): void {
  const { dim, base, queries } = sift;
  const queryCount = queries.length / dim;
  console.log(`\nTurboQuantIndex (turbovec's encoding), l2, recall@${K} vs the shipped ground truth, one batch:`);
  for (const bitWidth of [4, 2] as const) {
    const { value: index, ms } = timed(() => {
      const tq = new TurboQuantIndex({ dim, bitWidth, metric: 'l2', originals: 'float16' });
      tq.add(base);
      return tq;
    });
    for (const rerank of [false, true]) {
      const options = rerank ? { rerank: true } : {};
      const result = index.search(queries, K, options);
      const { recall } = tieAwareRecallL2(base, queries, dim, sift.groundTruth, sift.groundTruthK, result.slots, K);
      const qps = queriesPerSecond(queryCount, () => index.search(queries, K, options));
      const name = `${bitWidth}-bit${rerank ? ' + float16 rerank' : ''}`;
      console.log(
        `  ${name.padEnd(22)} recall ${recall.toFixed(4)}  ${formatQps(qps).padStart(7)} queries/s  (${(qps / exactBatchQps).toFixed(2)}× exact; ` +
          `${dim * bitWidth / 8 + 4} B/vector of codes vs ${dim * 4}; built in ${ms.toFixed(0)} ms)`,
      );
    }
    index.dispose();
  }
}
