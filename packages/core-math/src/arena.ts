import { CapacityError, InvalidArgumentError, UnsupportedOperationError } from './errors.js';

/**
 * The linear memory that Quiver's kernels read. Vector data lives here so the WebAssembly kernels
 * scan it in place, without a copy per search. It is a `WebAssembly.Memory` (shared when the
 * runtime allows, so worker threads scan the same bytes), or a plain growable buffer when
 * WebAssembly is missing.
 *
 * Allocation is first-fit over an address-ordered free list with coalescing; every block is
 * 64-byte aligned (a cache line, and enough for any SIMD load). Pointers are byte offsets.
 *
 * Never keep a typed-array view across an allocation: growing a non-shared memory detaches the
 * old buffer. Take views with `f32()`, `u8()`, ... right before use.
 */
export interface ArenaBlock {
  readonly ptr: number;
  readonly byteLength: number;
}

export interface ArenaOptions {
  /** Use a shared memory (default: when `SharedArrayBuffer` is usable here). */
  shared?: boolean;
  /** Initial size in bytes (default 1 MiB). */
  initialBytes?: number;
  /** Upper bound in bytes (default and maximum: 4 GiB - 64 KiB, the wasm32 limit). */
  maximumBytes?: number;
}

const PAGE = 65536;
const ALIGN = 64;
const MAX_PAGES = 65535;

export class Arena {
  /** The WebAssembly memory behind the arena, when WebAssembly is available. */
  readonly memory: WebAssembly.Memory | undefined;
  readonly shared: boolean;
  readonly maximumBytes: number;
  /** An attached arena (in a worker) reads the memory but never allocates. */
  readonly attached: boolean;
  private plainBuffer: ArrayBuffer | undefined;
  /** Free ranges ordered by address: parallel arrays of start and length. */
  private freeStarts: number[] = [];
  private freeLengths: number[] = [];
  private top = ALIGN; // pointer 0 stays unused so 0 never names a live block
  private used = 0;
  /** Every buffer object this memory has exposed: shared memories hand out a new one per growth. */
  private readonly knownBuffers = new WeakSet<ArrayBufferLike>();

  constructor(options: ArenaOptions = {}, attachTo?: WebAssembly.Memory) {
    const maximumBytes = Math.min(options.maximumBytes ?? MAX_PAGES * PAGE, MAX_PAGES * PAGE);
    this.maximumBytes = maximumBytes;
    if (attachTo) {
      this.memory = attachTo;
      this.shared = typeof SharedArrayBuffer !== 'undefined' && attachTo.buffer instanceof SharedArrayBuffer;
      this.attached = true;
      return;
    }
    this.attached = false;
    const initialPages = Math.max(1, Math.ceil((options.initialBytes ?? 1 << 20) / PAGE));
    const maximumPages = Math.max(initialPages, Math.floor(maximumBytes / PAGE));
    const shared = options.shared ?? canShareMemory();
    if (typeof WebAssembly === 'object' && typeof WebAssembly.Memory === 'function') {
      this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared } as WebAssembly.MemoryDescriptor);
      this.shared = shared;
    } else {
      this.memory = undefined;
      this.shared = false;
      this.plainBuffer = new ArrayBuffer(initialPages * PAGE);
    }
  }

  /** Attaches to a memory created elsewhere (a worker receiving the main thread's memory). */
  static attach(memory: WebAssembly.Memory): Arena {
    return new Arena({}, memory);
  }

  get buffer(): ArrayBufferLike {
    const buffer = this.memory ? this.memory.buffer : this.plainBuffer!;
    this.knownBuffers.add(buffer);
    return buffer;
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /** Bytes in live blocks. */
  get bytesInUse(): number {
    return this.used;
  }

  /** True when `view` is a view of this arena's memory, so its `byteOffset` is a valid pointer. */
  owns(view: ArrayBufferView): boolean {
    const current = this.buffer;
    return view.buffer === current || this.knownBuffers.has(view.buffer);
  }

  alloc(byteLength: number): ArenaBlock {
    if (this.attached) throw new UnsupportedOperationError('attached arena', 'alloc', 'only the owning thread allocates');
    if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
      throw new InvalidArgumentError('byteLength', `must be a non-negative integer, got ${byteLength}`);
    }
    const size = Math.max(ALIGN, roundUp(byteLength, ALIGN));
    for (let i = 0; i < this.freeStarts.length; i++) {
      const length = this.freeLengths[i]!;
      if (length < size) continue;
      const ptr = this.freeStarts[i]!;
      if (length === size) {
        this.freeStarts.splice(i, 1);
        this.freeLengths.splice(i, 1);
      } else {
        this.freeStarts[i] = ptr + size;
        this.freeLengths[i] = length - size;
      }
      this.used += size;
      return { ptr, byteLength: size };
    }
    const ptr = this.top;
    this.ensureCapacity(ptr + size);
    this.top = ptr + size;
    this.used += size;
    return { ptr, byteLength: size };
  }

  /** Allocates and zero-fills (fresh memory is zero, but reused free blocks are not). */
  allocZeroed(byteLength: number): ArenaBlock {
    const block = this.alloc(byteLength);
    new Uint8Array(this.buffer, block.ptr, block.byteLength).fill(0);
    return block;
  }

  free(block: ArenaBlock): void {
    if (this.attached) throw new UnsupportedOperationError('attached arena', 'free');
    const { ptr, byteLength: size } = block;
    this.used -= size;
    if (ptr + size === this.top) {
      this.top = ptr;
      // Give back a free range that now touches the top, too.
      const last = this.freeStarts.length - 1;
      if (last >= 0 && this.freeStarts[last]! + this.freeLengths[last]! === this.top) {
        this.top = this.freeStarts[last]!;
        this.freeStarts.pop();
        this.freeLengths.pop();
      }
      return;
    }
    // Insert in address order, then merge with the neighbours.
    let lo = 0;
    let hi = this.freeStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeStarts[mid]! < ptr) lo = mid + 1;
      else hi = mid;
    }
    this.freeStarts.splice(lo, 0, ptr);
    this.freeLengths.splice(lo, 0, size);
    if (lo + 1 < this.freeStarts.length && ptr + size === this.freeStarts[lo + 1]) {
      this.freeLengths[lo] = this.freeLengths[lo]! + this.freeLengths[lo + 1]!;
      this.freeStarts.splice(lo + 1, 1);
      this.freeLengths.splice(lo + 1, 1);
    }
    if (lo > 0 && this.freeStarts[lo - 1]! + this.freeLengths[lo - 1]! === ptr) {
      this.freeLengths[lo - 1] = this.freeLengths[lo - 1]! + this.freeLengths[lo]!;
      this.freeStarts.splice(lo, 1);
      this.freeLengths.splice(lo, 1);
    }
  }

  /** Moves a block to a new size, keeping the first min(old, new) bytes. */
  realloc(block: ArenaBlock, byteLength: number): ArenaBlock {
    const fresh = this.alloc(byteLength);
    const keep = Math.min(block.byteLength, fresh.byteLength);
    new Uint8Array(this.buffer).copyWithin(fresh.ptr, block.ptr, block.ptr + keep);
    this.free(block);
    return fresh;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.buffer, ptr, length);
  }
  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.buffer, ptr, length);
  }
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.buffer, ptr, length);
  }
  u32(ptr: number, length: number): Uint32Array {
    return new Uint32Array(this.buffer, ptr, length);
  }
  u16(ptr: number, length: number): Uint16Array {
    return new Uint16Array(this.buffer, ptr, length);
  }
  i8(ptr: number, length: number): Int8Array {
    return new Int8Array(this.buffer, ptr, length);
  }
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.buffer, ptr, length);
  }

  private ensureCapacity(end: number): void {
    const current = this.byteLength;
    if (end <= current) return;
    if (end > this.maximumBytes) {
      throw new CapacityError(`arena would need ${end} bytes, above its maximum of ${this.maximumBytes}`);
    }
    // Grow geometrically (x1.5) to keep appends amortized O(1).
    const target = Math.min(this.maximumBytes, Math.max(end, Math.floor(current * 1.5)));
    const pages = Math.ceil((target - current) / PAGE);
    try {
      if (this.memory) this.memory.grow(pages);
      else {
        const next = new ArrayBuffer(current + pages * PAGE);
        new Uint8Array(next).set(new Uint8Array(this.plainBuffer!));
        this.plainBuffer = next;
      }
    } catch (cause) {
      throw new CapacityError(`could not grow the arena to ${current + pages * PAGE} bytes`, { cause });
    }
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** Shared memory needs SharedArrayBuffer, which browsers only enable when cross-origin isolated. */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return isolated !== false;
}
