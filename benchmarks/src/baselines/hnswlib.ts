import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Metric, type SlotFilter } from '@quiver/core-math';
import type { GraphUnderTest, HnswParameters } from '../suites/hnsw/graph-under-test.js';

/**
 * hnswlib-node, the native C++ HNSW binding, as the hnsw suite's baseline. It needs a native build
 * (node-gyp, a C++ compiler), so it is not a workspace dependency: it lives in
 * `benchmarks/peers/hnswlib` with its own pinned package.json and package-lock.json and is
 * installed there on first use (`npm ci --prefix benchmarks/peers/hnswlib`).
 */
export const HNSWLIB_PEER_DIR = fileURLToPath(new URL('../../peers/hnswlib', import.meta.url));

/** The part of hnswlib-node's `HierarchicalNSW` the suite uses (lib/index.d.ts of 3.0.0). */
interface HierarchicalNSW {
  initIndex(maxElements: number, m: number, efConstruction: number, randomSeed: number): void;
  addPoint(point: number[], label: number): void;
  markDelete(label: number): void;
  searchKnn(query: number[], k: number, filter?: (label: number) => boolean): { distances: number[]; neighbors: number[] };
  setEf(ef: number): void;
  writeIndexSync(path: string): void;
}

interface HnswlibModule {
  HierarchicalNSW: new (space: 'l2' | 'ip' | 'cosine', dim: number) => HierarchicalNSW;
}

function installed(): boolean {
  return existsSync(join(HNSWLIB_PEER_DIR, 'node_modules', 'hnswlib-node', 'package.json'));
}

/** Installs the peer (native build, ~10 s) when it is missing; returns its version. */
export function ensureHnswlibInstalled(): string {
  if (!installed()) {
    console.log(`[bench] hnswlib-node is not installed; running \`npm ci --prefix ${HNSWLIB_PEER_DIR}\` (native build with node-gyp, needs g++ and Node's headers)`);
    execFileSync('npm', ['ci', '--prefix', HNSWLIB_PEER_DIR, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  }
  const require = createRequire(join(HNSWLIB_PEER_DIR, 'package.json'));
  return (require('hnswlib-node/package.json') as { version: string }).version;
}

function loadHnswlib(): HnswlibModule {
  ensureHnswlibInstalled();
  return createRequire(join(HNSWLIB_PEER_DIR, 'package.json'))('hnswlib-node') as HnswlibModule;
}

/** hnswlib's space for a Quiver metric; its `cosine` normalizes stored points and queries, as Quiver does. */
function spaceOf(metric: Metric): 'l2' | 'ip' | 'cosine' {
  if (metric === 'dot') return 'ip';
  return metric;
}

/**
 * Builds an hnswlib-node index over `base`: `initIndex(n, M, efConstruction, seed)` then one
 * `addPoint` per row (the binding has no batch add; it takes `number[]` rows, so each row is copied
 * into one reused array, a few microseconds against the milliseconds of an insertion).
 */
export function buildHnswlib(base: Float32Array, dim: number, metric: Metric, params: HnswParameters): GraphUnderTest {
  const { HierarchicalNSW } = loadHnswlib();
  const n = base.length / dim;
  if (!Number.isInteger(n)) throw new InvalidArgumentError('base', `length ${base.length} is not a multiple of dim ${dim}`);
  const index = new HierarchicalNSW(spaceOf(metric), dim);
  index.initIndex(n, params.M, params.efConstruction, params.seed);
  const row: number[] = new Array<number>(dim).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = base[i * dim + j]!;
    index.addPoint(row, i);
  }
  return new HnswlibGraph(index, dim);
}

class HnswlibGraph implements GraphUnderTest {
  readonly system = 'hnswlib-node';
  readonly quiver = false;
  readonly indexBytesHow = 'size of its writeIndex file (vectors + links)';
  private queries: number[][] = [];

  constructor(
    private readonly index: HierarchicalNSW,
    private readonly dim: number,
  ) {}

  loadQueries(queries: Float32Array): void {
    // number[] rows prepared outside any timing: the binding accepts nothing else.
    this.queries = [];
    for (let offset = 0; offset < queries.length; offset += this.dim) this.queries.push(Array.from(queries.subarray(offset, offset + this.dim)));
  }

  setEfSearch(efSearch: number): void {
    this.index.setEf(efSearch);
  }

  searchOne(query: number, k: number, out: Int32Array, filter?: SlotFilter): void {
    // The binding's filter is a JS callback it calls per candidate label.
    const { neighbors } = this.index.searchKnn(this.queries[query]!, k, filter && ((label) => filter.has(label)));
    out.fill(-1, query * k, (query + 1) * k);
    for (let i = 0; i < neighbors.length; i++) out[query * k + i] = neighbors[i]!;
  }

  /** The size of its saved file: the vectors and link lists, as laid out in memory (mutexes excluded). */
  indexBytes(): number {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-hnswlib-'));
    try {
      const path = join(dir, 'index.bin');
      this.index.writeIndexSync(path);
      return statSync(path).size;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  remove(slot: number): void {
    this.index.markDelete(slot);
  }

  dispose(): void {
    this.queries = [];
  }
}
