import {
  InvalidArgumentError,
  SeededRandom,
  checkBatch,
  checkDim,
  getKernels,
  throwIfAborted,
  type ArenaBlock,
  type KernelChoice,
  type Kernels,
  type LongTaskOptions,
  type ScanExecutor,
} from '@quiver/core-math';

export interface KMeansOptions extends LongTaskOptions {
  /** Number of centroids. */
  readonly k: number;
  /** Lloyd iterations at most (default 25); training stops early once no assignment changes. */
  readonly iterations?: number;
  /** Seeds the subsample, the k-means++ draws and nothing else (default 1234). */
  readonly seed?: number;
  /**
   * At most `k × maxPointsPerCentroid` training points are used (a seeded subsample), as FAISS's
   * `max_points_per_centroid` (default 256): more points barely move the centroids.
   */
  readonly maxPointsPerCentroid?: number;
  /** Kernel backend (default `auto`). */
  readonly kernels?: KernelChoice;
}

export interface KMeansAsyncOptions extends KMeansOptions {
  /**
   * Runs the assignment step elsewhere, e.g. the Node `WorkerPool` of `@quiver/core-math/node`.
   * Results are identical to `kmeans`: both use the same float32 kernels and tie order.
   */
  readonly executor?: ScanExecutor;
}

export interface KMeansResult {
  /** `k × dim` float32, row-major. */
  readonly centroids: Float32Array;
  /** Sum of squared distances of the training points to their centroid after the last assignment. */
  readonly inertia: number;
  /** Lloyd iterations run. */
  readonly iterations: number;
  /** Training points used (after subsampling). */
  readonly trainingPoints: number;
}

const DEFAULT_ITERATIONS = 25;
const DEFAULT_SEED = 1234;
const DEFAULT_MAX_POINTS_PER_CENTROID = 256;
/** Relative perturbation when an empty cluster takes half of the largest one. */
const SPLIT_EPSILON = 1 / 1024;
/** Bytes of the distance tile of one assignment block. */
const TILE_BYTES = 1 << 18;
/** Assignments with at least this many multiply-adds per point go to the executor. */
const EXECUTOR_MIN_WORK_PER_POINT = 2048;
/**
 * Up to this dimension (PQ subspaces), the assignment runs `pqAssign` (four centroids per SIMD
 * step, fused argmin) instead of a distance tile and `pqArgminRows`: equal results, less work.
 */
const FUSED_ASSIGN_MAX_DIM = 16;

/**
 * Lloyd's k-means with k-means++ initialization, seeded and deterministic. Empty clusters take
 * half of the largest cluster (its centroid, perturbed symmetrically, as FAISS does). Returns the
 * centroids and the final inertia.
 */
export function kmeans(data: Float32Array, dim: number, options: KMeansOptions): KMeansResult {
  const trainer = new KMeansTrainer(data, dim, options);
  try {
    trainer.initialize();
    while (trainer.hasNextIteration()) trainer.finishIteration(trainer.assignLocally());
    return trainer.result();
  } finally {
    trainer.dispose();
  }
}

/** `kmeans` with the assignment step on an executor (worker threads); the same result. */
export async function kmeansAsync(data: Float32Array, dim: number, options: KMeansAsyncOptions): Promise<KMeansResult> {
  const trainer = new KMeansTrainer(data, dim, options);
  try {
    trainer.initialize();
    while (trainer.hasNextIteration()) {
      const assignment = options.executor && trainer.prefersExecutor ? await trainer.assignOn(options.executor) : trainer.assignLocally();
      trainer.finishIteration(assignment);
    }
    return trainer.result();
  } finally {
    trainer.dispose();
  }
}

/** Nearest centroid of each training point and its squared distance. */
interface Assignment {
  readonly labels: Int32Array;
  readonly distances: Float32Array;
}

/**
 * The state of one k-means run, split into steps so the assignment can run on this thread or on
 * worker threads. Points and centroids live in the kernels' arena.
 */
class KMeansTrainer {
  readonly prefersExecutor: boolean;
  private readonly kernels: Kernels;
  private readonly dim: number;
  private readonly k: number;
  private readonly n: number;
  private readonly maxIterations: number;
  private readonly random: SeededRandom;
  private readonly options: KMeansOptions;
  /** The training points (subsampled) as a JS copy; the same rows live in `pointsBlock`. */
  private readonly points: Float32Array;
  private readonly blocks: ArenaBlock[] = [];
  private readonly pointsBlock: ArenaBlock;
  private readonly centroidsBlock: ArenaBlock;
  private labels: Int32Array | undefined;
  private inertia = Infinity;
  /** Assignment steps run. */
  private iteration = 0;
  /** Centroid updates run (Lloyd iterations). */
  private updates = 0;
  private converged = false;

  constructor(data: Float32Array, dim: number, options: KMeansOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with k');
    this.dim = checkDim(dim);
    const total = checkBatch(data, dim, 'data');
    const { k } = options;
    if (!Number.isSafeInteger(k) || k < 1) throw new InvalidArgumentError('k', `must be a positive integer, got ${k}`);
    if (total < k) throw new InvalidArgumentError('data', `k-means with k = ${k} needs at least ${k} points, got ${total}`);
    const iterations = options.iterations ?? DEFAULT_ITERATIONS;
    if (!Number.isSafeInteger(iterations) || iterations < 0) {
      throw new InvalidArgumentError('iterations', `must be a non-negative integer, got ${iterations}`);
    }
    const cap = options.maxPointsPerCentroid ?? DEFAULT_MAX_POINTS_PER_CENTROID;
    if (!Number.isSafeInteger(cap) || cap < 1) throw new InvalidArgumentError('maxPointsPerCentroid', `must be a positive integer, got ${cap}`);
    this.k = k;
    this.maxIterations = iterations;
    this.options = options;
    this.random = new SeededRandom(options.seed ?? DEFAULT_SEED);
    this.kernels = getKernels(options.kernels ?? 'auto');
    this.points = subsample(data, dim, total, Math.min(total, k * cap), this.random);
    this.n = this.points.length / dim;
    this.prefersExecutor = k * dim >= EXECUTOR_MIN_WORK_PER_POINT;
    this.pointsBlock = this.alloc(this.points.length * 4);
    this.kernels.arena.f32(this.pointsBlock.ptr, this.points.length).set(this.points);
    this.centroidsBlock = this.alloc(k * dim * 4);
  }

  /** k-means++: each next centroid is a point drawn with probability proportional to its squared distance to the chosen ones. */
  initialize(): void {
    const { dim, n, k, kernels } = this;
    const { arena } = kernels;
    const nearest = new Float64Array(n).fill(Infinity);
    const distancesBlock = this.alloc(n * 4);
    let chosen = this.random.nextInt(n);
    for (let c = 0; c < k; c++) {
      if (c % 16 === 0) throwIfAborted(this.options.signal, 'k-means');
      const centroidPtr = this.centroidsBlock.ptr + c * dim * 4;
      arena.u8(0, arena.byteLength).copyWithin(centroidPtr, this.pointsBlock.ptr + chosen * dim * 4, this.pointsBlock.ptr + (chosen + 1) * dim * 4);
      if (c === k - 1) break;
      kernels.l2sqF32(centroidPtr, this.pointsBlock.ptr, n, dim, distancesBlock.ptr);
      const distances = arena.f32(distancesBlock.ptr, n);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const d = distances[i]!;
        if (d < nearest[i]!) nearest[i] = d;
        sum += nearest[i]!;
      }
      chosen = sum > 0 ? drawProportional(nearest, sum, this.random) : this.random.nextInt(n);
    }
  }

  hasNextIteration(): boolean {
    throwIfAborted(this.options.signal, 'k-means');
    // One assignment always runs so the result reports the inertia of the returned centroids.
    return !this.converged && this.iteration <= this.maxIterations;
  }

  /** Nearest centroid of every point with this thread's kernels: a distance tile, then a row argmin. */
  assignLocally(): Assignment {
    const { dim, n, k, kernels } = this;
    const { arena } = kernels;
    if (dim <= FUSED_ASSIGN_MAX_DIM) {
      const transposed = this.alloc(transposedBytes(k, dim));
      const labelsBlock = this.alloc(n * 4);
      const distancesBlock = this.alloc(n * 4);
      try {
        transposeCentroids(arena.f32(this.centroidsBlock.ptr, k * dim), k, dim, arena.f32(transposed.ptr, transposed.byteLength >> 2));
        kernels.pqAssign(this.pointsBlock.ptr, n, dim, transposed.ptr, k, labelsBlock.ptr, distancesBlock.ptr);
        return { labels: arena.i32(labelsBlock.ptr, n).slice(), distances: arena.f32(distancesBlock.ptr, n).slice() };
      } finally {
        for (const block of [transposed, labelsBlock, distancesBlock]) this.free(block);
      }
    }
    const rowsPerTile = Math.max(1, Math.min(n, Math.floor(TILE_BYTES / (k * 4))));
    const tile = this.alloc(rowsPerTile * k * 4);
    const labelsBlock = this.alloc(n * 4);
    const distancesBlock = this.alloc(n * 4);
    try {
      for (let p0 = 0; p0 < n; p0 += rowsPerTile) {
        const m = Math.min(rowsPerTile, n - p0);
        kernels.l2sqF32Batch(this.pointsBlock.ptr + p0 * dim * 4, m, this.centroidsBlock.ptr, k, dim, tile.ptr);
        kernels.pqArgminRows(tile.ptr, m, k, labelsBlock.ptr + p0 * 4, distancesBlock.ptr + p0 * 4);
      }
      return { labels: arena.i32(labelsBlock.ptr, n).slice(), distances: arena.f32(distancesBlock.ptr, n).slice() };
    } finally {
      for (const block of [tile, labelsBlock, distancesBlock]) this.free(block);
    }
  }

  /** The same assignment as a top-1 exact l2 scan of the centroids, run by `executor`. */
  async assignOn(executor: ScanExecutor): Promise<Assignment> {
    const result = await executor.exactScan({ ptr: this.centroidsBlock.ptr, count: this.k, dim: this.dim }, 'l2', this.points, 1);
    const distances = new Float32Array(this.n);
    for (let i = 0; i < this.n; i++) distances[i] = -result.scores[i]!;
    return { labels: result.slots, distances };
  }

  /** Records the assignment's inertia, then (unless this was the last) moves the centroids to the means. */
  finishIteration({ labels, distances }: Assignment): void {
    let inertia = 0;
    for (let i = 0; i < this.n; i++) inertia += distances[i]!;
    this.inertia = inertia;
    const previous = this.labels;
    this.labels = labels;
    if (previous && previous.every((label, i) => label === labels[i])) this.converged = true;
    if (!this.converged && this.updates < this.maxIterations) {
      this.updateCentroids(labels);
      this.updates++;
    }
    this.iteration++;
    // Progress counts assignment steps: iterations + 1 of them unless training converges first.
    const total = this.maxIterations + 1;
    this.options.onProgress?.(this.converged ? total : this.iteration, total);
  }

  result(): KMeansResult {
    return {
      centroids: this.kernels.arena.f32(this.centroidsBlock.ptr, this.k * this.dim).slice(),
      inertia: this.inertia,
      iterations: this.updates,
      trainingPoints: this.n,
    };
  }

  dispose(): void {
    for (const block of this.blocks.splice(0)) this.kernels.arena.free(block);
  }

  private updateCentroids(labels: Int32Array): void {
    const { dim, n, k, points } = this;
    const sums = new Float64Array(k * dim);
    const sizes = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      sizes[c]!++;
      const row = i * dim;
      const target = c * dim;
      for (let j = 0; j < dim; j++) sums[target + j]! += points[row + j]!;
    }
    const centroids = this.kernels.arena.f32(this.centroidsBlock.ptr, k * dim);
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) continue;
      const inv = 1 / sizes[c]!;
      for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j]! * inv;
    }
    splitEmptyClusters(centroids, sizes, dim);
  }

  private alloc(bytes: number): ArenaBlock {
    const block = this.kernels.arena.alloc(bytes);
    this.blocks.push(block);
    return block;
  }

  private free(block: ArenaBlock): void {
    this.blocks.splice(this.blocks.indexOf(block), 1);
    this.kernels.arena.free(block);
  }
}

/**
 * The nearest of `count` centroids (arena rows at `centroidsPtr`, l2) for each of the rows, first
 * on ties: the assignment step of `kmeans`, for callers that place vectors in clusters.
 */
export function assignNearest(kernels: Kernels, centroidsPtr: number, count: number, dim: number, rows: Float32Array): Int32Array {
  const { arena } = kernels;
  const n = rows.length / dim;
  const labels = new Int32Array(n);
  if (n === 0) return labels;
  const chunk = Math.max(1, Math.min(n, Math.floor(TILE_BYTES / (count * 4))));
  const scratch = arena.alloc(chunk * dim * 4 + chunk * count * 4 + chunk * 8);
  const rowsPtr = scratch.ptr;
  const tilePtr = rowsPtr + chunk * dim * 4;
  const labelPtr = tilePtr + chunk * count * 4;
  const valuePtr = labelPtr + chunk * 4;
  try {
    for (let r0 = 0; r0 < n; r0 += chunk) {
      const m = Math.min(chunk, n - r0);
      arena.f32(rowsPtr, m * dim).set(rows.subarray(r0 * dim, (r0 + m) * dim));
      kernels.l2sqF32Batch(rowsPtr, m, centroidsPtr, count, dim, tilePtr);
      kernels.pqArgminRows(tilePtr, m, count, labelPtr, valuePtr);
      labels.set(arena.i32(labelPtr, m), r0);
    }
  } finally {
    arena.free(scratch);
  }
  return labels;
}

/** Bytes of `count` centroids of `dim` values in `pqAssign`'s transposed layout. */
export function transposedBytes(count: number, dim: number): number {
  return dim * Math.ceil(count / 4) * 4 * 4;
}

/**
 * Writes `count` row-major centroids in `pqAssign`'s layout: value j of centroid c at
 * j × kPad + c (kPad = count rounded up to a multiple of 4), padding columns copying centroid 0.
 */
export function transposeCentroids(rows: Float32Array, count: number, dim: number, out: Float32Array): void {
  const kPad = Math.ceil(count / 4) * 4;
  for (let c = 0; c < kPad; c++) {
    const from = (c < count ? c : 0) * dim;
    for (let j = 0; j < dim; j++) out[j * kPad + c] = rows[from + j]!;
  }
}

/**
 * Gives every empty cluster half of the currently largest one: a copy of its centroid, with the
 * two moved apart by a relative ±SPLIT_EPSILON per coordinate (alternating signs), as FAISS does.
 */
export function splitEmptyClusters(centroids: Float32Array, sizes: Float64Array, dim: number): void {
  const k = sizes.length;
  for (let empty = 0; empty < k; empty++) {
    if (sizes[empty] !== 0) continue;
    let largest = 0;
    for (let c = 1; c < k; c++) if (sizes[c]! > sizes[largest]!) largest = c;
    if (sizes[largest]! < 2) return; // nothing left to split
    for (let j = 0; j < dim; j++) {
      const v = centroids[largest * dim + j]!;
      const sign = j % 2 === 0 ? 1 : -1;
      centroids[empty * dim + j] = v * (1 + sign * SPLIT_EPSILON);
      centroids[largest * dim + j] = v * (1 - sign * SPLIT_EPSILON);
    }
    sizes[empty] = Math.floor(sizes[largest]! / 2);
    sizes[largest]! -= sizes[empty]!;
  }
}

/** Index i drawn with probability weights[i] / sum. */
function drawProportional(weights: Float64Array, sum: number, random: SeededRandom): number {
  let target = random.nextFloat() * sum;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w <= 0) continue;
    last = i;
    target -= w;
    if (target < 0) return i;
  }
  return last; // float rounding left a sliver past the end
}

/** `count` of the `total` rows, chosen by a seeded partial shuffle (all rows, in order, when count = total). */
function subsample(data: Float32Array, dim: number, total: number, count: number, random: SeededRandom): Float32Array {
  if (count === total) return data.slice(0, total * dim);
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + random.nextInt(total - i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const chosen = order.subarray(0, count).sort();
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) out.set(data.subarray(chosen[i]! * dim, (chosen[i]! + 1) * dim), i * dim);
  return out;
}
