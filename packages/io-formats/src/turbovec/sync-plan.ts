import { CorruptFileError, isVectorSearchError } from '@quiver/core-math';
import { checkTurbovecParts, TURBOVEC_BLOCK, type TurbovecParts } from './parts.js';
import { parseV7, type V7State } from './v7-decode.js';
import {
  V7RowSource,
  V7_MAX_OPS,
  deltaDigest,
  geometryOf,
  headerBytes,
  superblockBytes,
  u64Bytes,
  v7ImageChunks,
  type V7Kind,
} from './v7-layout.js';

/**
 * Planning of turbovec's incremental v7 `sync`, as pure data so a test can tear it anywhere.
 *
 * The planner needs no dirty tracking from the caller: it recovers the state the file commits to
 * (as a load would) and compares it row by row with the parts. Rows that differ inside blocks
 * both states hold become redo ops carried by the new commit header (their blocks are not
 * touched); blocks whose only differences are the previous header's pending ops are rewritten
 * whole ("materialized"); new whole blocks are appended; the tail rows ride in the header. The
 * header goes to the slot of generation g - 1, never over the commit it supersedes, and records
 * which blocks this sync wrote plus a digest of their bytes, so a header that reaches the disk
 * before its data is detected at load and the previous commit wins. Exactly turbovec 1.0's plan.
 */

export interface TurbovecWrite {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export type TurbovecFullWriteReason = 'missing' | 'not-v7' | 'unclaimed' | 'geometry' | 'ops-capacity';

export type TurbovecSyncPlan =
  | { readonly mode: 'unchanged'; readonly generation: bigint }
  | {
      readonly mode: 'full';
      readonly reason: TurbovecFullWriteReason;
      /** The whole image, generation 0, claimed with `nonce`; written through a temp file and a rename. */
      readonly chunks: Iterable<Uint8Array>;
      readonly nonce: bigint;
      readonly blocksWritten: number;
    }
  | {
      readonly mode: 'incremental';
      /** Positioned writes; each batch must be durable (fsync) before the next starts. */
      readonly batches: readonly (readonly TurbovecWrite[])[];
      readonly generation: bigint;
      readonly blocksWritten: number;
      readonly opsCarried: number;
    };

export interface TurbovecSyncPlanOptions {
  /** Sync an id-mapped (.tvim) file; defaults to whether `parts.ids` is present. */
  readonly idMap?: boolean;
  /** Nonce claiming a fully rewritten file; defaults to a random non-zero value. */
  readonly nonce?: bigint;
}

function randomNonce(): bigint {
  const out = new BigUint64Array(1);
  do globalThis.crypto.getRandomValues(out);
  while (out[0] === 0n);
  return out[0]!;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Slots in [from, to) whose committed row (codes, scale bits, id) differs from `parts`. */
function changedSlots(state: V7State, src: V7RowSource, from: number, to: number): number[] {
  const { geo } = state;
  const changed: number[] = [];
  const oldBits = new Uint32Array(state.scales.buffer, state.scales.byteOffset, state.scales.length);
  const newBits = new Uint32Array(src.parts.scales.buffer, src.parts.scales.byteOffset, src.parts.scales.length);
  const oldCodes = state.seqBlocked;
  const blockBytes = TURBOVEC_BLOCK * geo.rowBytes;
  const block = new Uint8Array(blockBytes);
  const oldIds = state.ids;
  const newIds = src.parts.ids;
  for (let b = Math.floor(from / TURBOVEC_BLOCK); b * TURBOVEC_BLOCK < to; b++) {
    src.layout.seqBlock(src.parts.packedCodes, b, src.count, block, 0);
    const base = b * blockBytes;
    // Fast path: a block whose code bytes are all unchanged only needs its scales and ids checked.
    let codesEqual = true;
    for (let i = 0; codesEqual && i < blockBytes; i++) codesEqual = block[i] === oldCodes[base + i];
    const first = Math.max(from, b * TURBOVEC_BLOCK);
    const last = Math.min(to, (b + 1) * TURBOVEC_BLOCK);
    for (let slot = first; slot < last; slot++) {
      const lane = slot - b * TURBOVEC_BLOCK;
      let differs = oldBits[slot] !== newBits[slot] || (oldIds !== undefined && oldIds[slot] !== newIds![slot]);
      for (let g = 0; !differs && !codesEqual && g < geo.rowBytes; g++) {
        differs = block[g * TURBOVEC_BLOCK + lane] !== oldCodes[base + g * TURBOVEC_BLOCK + lane];
      }
      if (differs) changed.push(slot);
    }
  }
  return changed;
}

function fullPlan(parts: TurbovecParts, kind: V7Kind, reason: TurbovecFullWriteReason, nonce: bigint): TurbovecSyncPlan {
  return { mode: 'full', reason, chunks: v7ImageChunks(parts, kind, nonce), nonce, blocksWritten: Math.floor(parts.count / TURBOVEC_BLOCK) };
}

/** Plans the sync that takes the file holding `current` (undefined: no file) to `parts`. */
export function planTurbovecSync(current: Uint8Array | undefined, parts: TurbovecParts, options: TurbovecSyncPlanOptions = {}): TurbovecSyncPlan {
  const kind: V7Kind = (options.idMap ?? parts.ids !== undefined) ? 1 : 0;
  checkTurbovecParts(parts, { needCodebook: true, needIds: kind === 1 });
  if (parts.dim === 0) throw new CorruptFileError('unsupported', '[@quiver/io-formats] turbovec: an index with no committed dimension cannot be synced (turbovec refuses it too)');
  const full = (reason: TurbovecFullWriteReason): TurbovecSyncPlan => fullPlan(parts, kind, reason, options.nonce ?? randomNonce());
  if (current === undefined) return full('missing');
  let state: V7State;
  try {
    state = parseV7(current);
  } catch (error) {
    // Not a v7 file with a recoverable commit: nothing a v7 writer committed is at stake.
    if (isVectorSearchError(error) && error.code === 'CORRUPT_FILE') return full('not-v7');
    throw error;
  }
  // A snapshot (`write`/`to_bytes`) is unclaimed; the first sync claims it with a full write.
  if (state.nonce === 0n) return full('unclaimed');
  const geo = geometryOf(parts, kind);
  if (!sameBytes(superblockBytes(parts, geo, state.nonce), state.superblock)) return full('geometry');

  const src = new V7RowSource(parts, geo);
  const oldBlocks = Math.floor(state.count / TURBOVEC_BLOCK);
  const newBlocks = Math.floor(parts.count / TURBOVEC_BLOCK);
  const liveRows = Math.min(oldBlocks, newBlocks) * TURBOVEC_BLOCK;
  const pending = Array.from(state.pendingSlots).filter((s) => s < liveRows);
  const fresh = changedSlots(state, src, 0, liveRows);
  if (parts.count === state.count && fresh.length === 0 && pending.length === 0 && sameTail(state, src)) {
    return { mode: 'unchanged', generation: state.header.generation };
  }
  const freshUnits = new Set(fresh.map((s) => Math.floor(s / TURBOVEC_BLOCK)));
  const materialized = [...new Set(pending.map((s) => Math.floor(s / TURBOVEC_BLOCK)))].filter((b) => !freshUnits.has(b)).sort((a, b) => a - b);
  const carried = [...new Set([...pending, ...fresh])].filter((s) => freshUnits.has(Math.floor(s / TURBOVEC_BLOCK))).sort((a, b) => a - b);
  if (carried.length > V7_MAX_OPS) return full('ops-capacity');
  const groups: [number, number[]][] = [];
  for (const slot of carried) {
    const block = Math.floor(slot / TURBOVEC_BLOCK);
    const last = groups[groups.length - 1];
    if (last !== undefined && last[0] === block) last[1].push(slot);
    else groups.push([block, [slot]]);
  }

  const generation = state.header.generation + 1n;
  const written: [number, Uint8Array][] = [];
  for (const b of materialized) written.push([b, src.unit(b)]);
  for (let b = oldBlocks; b < newBlocks; b++) written.push([b, src.unit(b)]);
  const digest = deltaDigest(generation, geo.unitLength, written);
  const slot = Number(generation % 2n);
  const header = headerBytes(src, generation, groups, {
    materialized,
    appendedFrom: oldBlocks,
    appendedTo: newBlocks,
    digest,
  });
  const batch: TurbovecWrite[] = written.map(([b, bytes]) => ({ offset: geo.unitAt(b), bytes }));
  batch.push({ offset: geo.headerAt(slot), bytes: header });
  const batches: TurbovecWrite[][] = [];
  // A header rejected at load (newer than the adopted one) still sits in the slot this sync
  // commits into; if only our data landed it could verify again. Destroy it first, behind its own
  // barrier, with a generation whose parity the slot refuses outright.
  const stale = state.otherHeader;
  if (stale !== undefined && stale.generation > state.header.generation) {
    const wipe = new Uint8Array(Math.min(Math.max(stale.used, 8), geo.headerLength));
    wipe.set(u64Bytes(BigInt(slot ^ 1)));
    batches.push([{ offset: geo.headerAt(slot), bytes: wipe }]);
  }
  batches.push(batch);
  return { mode: 'incremental', batches, generation, blocksWritten: written.length, opsCarried: carried.length };
}

/** The committed tail rows (past the last whole block) equal the parts' rows. */
function sameTail(state: V7State, src: V7RowSource): boolean {
  const first = Math.floor(state.count / TURBOVEC_BLOCK) * TURBOVEC_BLOCK;
  if (first === state.count) return true;
  return changedSlots(state, src, first, state.count).length === 0;
}
