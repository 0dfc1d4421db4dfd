import { transformCalibrationBytes, transformScratchBytes, type Arena, type ArenaBlock, type Kernels } from '@quiver/core-math';
import type { TurboQuantRotation } from './rotation.js';

/** Input bytes staged per kernel call (at least one row): small, so a codec's arena block stays small. */
const STAGING_BYTES = 16 * 1024;

/** What the finalizer needs to free the block; never references the workspace itself. */
interface WorkspaceHold {
  readonly arena: Arena;
  block: ArenaBlock | undefined;
}

const workspaceFinalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<WorkspaceHold>((hold) => {
        if (hold.block) hold.arena.free(hold.block);
        hold.block = undefined;
      })
    : undefined;

/** Byte offsets of the regions inside the workspace block, each 64-byte aligned. */
interface Layout {
  readonly boundaries: number;
  readonly centroids: number;
  readonly calibration: number;
  readonly scratch: number;
  readonly input: number;
  /** Rotated rows (float32), or packed codes followed (at `scales`) by float32 scales. */
  readonly output: number;
  readonly scales: number;
  readonly bytes: number;
}

/** Typed-array views of the block, rebuilt only when the arena's memory grows. */
interface Views {
  readonly buffer: ArrayBufferLike;
  readonly input: Float32Array;
  readonly rotated: Float32Array;
  readonly codes: Uint8Array;
  readonly rowCodes: Uint8Array;
  readonly scales: Float32Array;
}

const align64 = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * A TurboQuant codec's state in its kernels' arena: codebook, calibration, kernel scratch and
 * staging rows (the rotation tables are shared per arena). Rows are copied in, zero-padded to
 * `paddedDim`, a chunk at a time; one kernel call encodes or rotates the chunk, and the results are
 * copied out. Encoding a single row allocates nothing. The block is freed when the workspace is
 * garbage collected.
 */
export class CodecWorkspace {
  /** Rows per kernel call. */
  readonly chunkRows: number;
  private readonly kernels: Kernels;
  private readonly rotation: TurboQuantRotation;
  private readonly dim: number;
  private readonly paddedDim: number;
  private readonly bitWidth: number;
  private readonly bytesPerRow: number;
  private readonly tables: number;
  private readonly layout: Layout;
  private readonly hold: WorkspaceHold;
  private calibrated = false;
  private cached: Views | undefined;

  constructor(kernels: Kernels, rotation: TurboQuantRotation, dim: number, bitWidth: number, boundaries: Float32Array, centroids: Float32Array) {
    const paddedDim = rotation.dim;
    this.kernels = kernels;
    this.rotation = rotation;
    this.dim = dim;
    this.paddedDim = paddedDim;
    this.bitWidth = bitWidth;
    this.bytesPerRow = (bitWidth * paddedDim) / 8;
    this.chunkRows = Math.max(1, Math.floor(STAGING_BYTES / (4 * paddedDim)));
    this.layout = layoutFor(paddedDim, centroids.length, this.chunkRows, this.bytesPerRow);
    const { arena } = kernels;
    this.tables = rotation.tablesIn(arena);
    // Zeroed: the staging rows' padding tails are never written afterwards.
    this.hold = { arena, block: arena.allocZeroed(this.layout.bytes) };
    workspaceFinalizer?.register(this, this.hold, this);
    const base = this.hold.block!.ptr;
    arena.f32(base + this.layout.boundaries, boundaries.length).set(boundaries);
    arena.f64(base + this.layout.centroids, centroids.length).set(centroids);
  }

  /** Installs a validated calibration (`paddedDim` shifts and scales), or identity when undefined. */
  setCalibration(shift: Float32Array | undefined, scale: Float32Array | undefined): void {
    this.calibrated = shift !== undefined && scale !== undefined;
    if (!this.calibrated) return;
    const { arena } = this.kernels;
    const dim = this.paddedDim;
    const at = this.base + this.layout.calibration;
    arena.f32(at, dim).set(shift!);
    arena.f32(at + 4 * dim, dim).set(scale!);
    arena.f64(at + 8 * dim, dim).set(shift!);
    const inverseScales = arena.f64(at + 16 * dim, dim);
    for (let d = 0; d < dim; d++) inverseScales[d] = Math.fround(1 / scale![d]!);
  }

  /**
   * Encodes rows [0, n) of `vectors` (n × dim): packed codes at `codes[codesOffset ..)`, scales at
   * `scales[scalesOffset ..)`. Stops at the first chunk holding a NaN, infinite or |v| ≥ 1e16 value
   * and returns that row's index (rows of earlier chunks are written); returns n when all are fine.
   */
  encode(vectors: Float32Array, n: number, codes: Uint8Array, codesOffset: number, scales: Float32Array, scalesOffset: number): number {
    const { layout, bytesPerRow, chunkRows } = this;
    const base = this.base;
    for (let first = 0; first < n; first += chunkRows) {
      const count = Math.min(chunkRows, n - first);
      this.stage(vectors, first, count);
      const invalid = this.kernels.turboQuantEncodeRows(
        base + layout.input,
        count,
        this.paddedDim,
        this.rotation.block,
        this.rotation.rounds,
        this.tables,
        this.bitWidth,
        base + layout.boundaries,
        base + layout.centroids,
        this.calibrated ? base + layout.calibration : 0,
        base + layout.output,
        base + layout.scales,
        base + layout.scratch,
      );
      if (invalid < count) return first + invalid;
      const views = this.views();
      const packed = count === 1 ? views.rowCodes : count === chunkRows ? views.codes : views.codes.subarray(0, count * bytesPerRow);
      codes.set(packed, codesOffset + first * bytesPerRow);
      for (let j = 0; j < count; j++) scales[scalesOffset + first + j] = views.scales[j]!;
    }
    return n;
  }

  /** Rotates rows [0, n) of `vectors` into `out[outOffset ..)` (n × paddedDim), each scaled to unit norm when `normalize`. */
  rotate(vectors: Float32Array, n: number, normalize: boolean, out: Float32Array, outOffset: number): void {
    const { layout, paddedDim, chunkRows } = this;
    const base = this.base;
    for (let first = 0; first < n; first += chunkRows) {
      const count = Math.min(chunkRows, n - first);
      this.stage(vectors, first, count);
      this.kernels.hadamardRotateRows(
        base + layout.input,
        count,
        paddedDim,
        this.rotation.block,
        this.rotation.rounds,
        this.tables,
        normalize,
        base + layout.output,
        base + layout.scratch,
      );
      const { rotated } = this.views();
      out.set(count === chunkRows ? rotated : rotated.subarray(0, count * paddedDim), outOffset + first * paddedDim);
    }
  }

  private get base(): number {
    return this.hold.block!.ptr;
  }

  /** Copies rows [first, first + count) into the staging rows, each at a stride of paddedDim. */
  private stage(vectors: Float32Array, first: number, count: number): void {
    const { input } = this.views();
    const dim = this.dim;
    if (dim === this.paddedDim && first === 0 && vectors.length === count * dim) {
      input.set(vectors);
    } else if (dim === this.paddedDim) {
      input.set(vectors.subarray(first * dim, (first + count) * dim));
    } else {
      for (let j = 0; j < count; j++) input.set(vectors.subarray((first + j) * dim, (first + j + 1) * dim), j * this.paddedDim);
    }
  }

  private views(): Views {
    const { arena } = this.kernels;
    const buffer = arena.buffer;
    if (this.cached?.buffer === buffer) return this.cached;
    const { layout, chunkRows, paddedDim, bytesPerRow } = this;
    const base = this.base;
    this.cached = {
      buffer,
      input: arena.f32(base + layout.input, chunkRows * paddedDim),
      rotated: arena.f32(base + layout.output, chunkRows * paddedDim),
      codes: arena.u8(base + layout.output, chunkRows * bytesPerRow),
      rowCodes: arena.u8(base + layout.output, bytesPerRow),
      scales: arena.f32(base + layout.scales, chunkRows),
    };
    return this.cached;
  }
}

function layoutFor(paddedDim: number, levels: number, chunkRows: number, bytesPerRow: number): Layout {
  const boundaries = 0;
  const centroids = boundaries + align64(4 * levels);
  const calibration = centroids + align64(8 * levels);
  const scratch = calibration + align64(transformCalibrationBytes(paddedDim));
  const input = scratch + align64(transformScratchBytes(paddedDim));
  const output = input + align64(4 * chunkRows * paddedDim);
  const scales = output + align64(chunkRows * bytesPerRow);
  const bytes = output + Math.max(4 * chunkRows * paddedDim, scales - output + 4 * chunkRows);
  return { boundaries, centroids, calibration, scratch, input, output, scales, bytes };
}
