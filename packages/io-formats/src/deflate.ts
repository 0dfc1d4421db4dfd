import {
  CODE_LENGTH_ORDER,
  DIST_BASE,
  DIST_EXTRA,
  END_OF_BLOCK,
  LENGTH_BASE,
  LENGTH_EXTRA,
  MAX_CODE_BITS,
  canonicalCodes,
  fixedDistanceLengths,
  fixedLiteralLengths,
} from './deflate-tables.js';

/**
 * A raw DEFLATE encoder (RFC 1951) in plain TypeScript: greedy LZ77 over hash chains, then each
 * block is written stored, with the fixed codes or with dynamic Huffman codes, whichever is
 * smallest. Simple and correct rather than zlib-fast; the Node entry uses node:zlib instead.
 */

const WINDOW = 1 << 15;
const HASH_BITS = 15;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
const BLOCK_TOKENS = 1 << 14;
const MAX_STORED = 0xffff;

export interface DeflateOptions {
  /** How many earlier positions with the same 3-byte hash are tried per match (default 32). */
  readonly maxChain?: number;
}

const LENGTH_INDEX = (() => {
  const table = new Uint8Array(MAX_MATCH + 1);
  for (let i = 0; i < LENGTH_BASE.length; i++) {
    const end = i + 1 < LENGTH_BASE.length ? LENGTH_BASE[i + 1]! : MAX_MATCH + 1;
    table.fill(i, LENGTH_BASE[i]!, end);
  }
  table[MAX_MATCH] = 28; // 258 has its own symbol (285) even though 227 + 31 would reach it
  return table;
})();

function distanceIndex(distance: number): number {
  let i = 0;
  while (i + 1 < DIST_BASE.length && DIST_BASE[i + 1]! <= distance) i++;
  return i;
}

const DIST_INDEX = (() => {
  const table = new Uint8Array(WINDOW + 1);
  for (let d = 1; d <= WINDOW; d++) table[d] = distanceIndex(d);
  return table;
})();

class BitWriter {
  bytes: Uint8Array;
  length = 0;
  private bitBuf = 0;
  private bitCount = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(capacity, 64));
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** Appends the low `n` (<= 16) bits of `value`, least-significant first. */
  write(value: number, n: number): void {
    this.bitBuf |= value << this.bitCount;
    this.bitCount += n;
    if (this.bitCount >= 8) {
      this.ensure(3);
      while (this.bitCount >= 8) {
        this.bytes[this.length++] = this.bitBuf & 0xff;
        this.bitBuf >>>= 8;
        this.bitCount -= 8;
      }
    }
  }

  alignToByte(): void {
    if (this.bitCount > 0) this.write(0, 8 - this.bitCount);
  }

  writeBytes(chunk: Uint8Array): void {
    this.ensure(chunk.length);
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }
}

/**
 * Code lengths for `freq`, limited to `maxBits`: a Huffman tree built with the two-queue method;
 * while it is too deep the frequencies are halved (keeping them non-zero) and it is rebuilt.
 * At least two symbols always get a code, so every code is complete (some decoders insist).
 */
function huffmanLengths(freq: Uint32Array, maxBits: number): Uint8Array {
  const weights = Float64Array.from(freq);
  let used = 0;
  for (const w of weights) if (w > 0) used++;
  for (let s = 0; used < 2; s++) {
    if (weights[s] === 0) {
      weights[s] = 1;
      used++;
    }
  }
  for (;;) {
    const lengths = treeDepths(weights);
    let deepest = 0;
    for (const l of lengths) deepest = Math.max(deepest, l);
    if (deepest <= maxBits) return lengths;
    for (let s = 0; s < weights.length; s++) if (weights[s]! > 0) weights[s] = Math.floor(weights[s]! / 2) + 1;
  }
}

function treeDepths(weights: Float64Array): Uint8Array {
  const leaves: number[] = [];
  for (let s = 0; s < weights.length; s++) if (weights[s]! > 0) leaves.push(s);
  leaves.sort((a, b) => weights[a]! - weights[b]! || a - b);
  const n = leaves.length;
  const nodeWeight = new Float64Array(2 * n - 1);
  const parent = new Int32Array(2 * n - 1);
  for (let i = 0; i < n; i++) nodeWeight[i] = weights[leaves[i]!]!;
  let leaf = 0;
  let internal = n;
  let next = n;
  const takeSmallest = (): number =>
    leaf < n && (internal >= next || nodeWeight[leaf]! <= nodeWeight[internal]!) ? leaf++ : internal++;
  for (; next < 2 * n - 1; next++) {
    const a = takeSmallest();
    const b = takeSmallest();
    nodeWeight[next] = nodeWeight[a]! + nodeWeight[b]!;
    parent[a] = next;
    parent[b] = next;
  }
  const depth = new Uint8Array(2 * n - 1);
  for (let id = 2 * n - 3; id >= 0; id--) depth[id] = depth[parent[id]!]! + 1;
  const lengths = new Uint8Array(weights.length);
  for (let i = 0; i < n; i++) lengths[leaves[i]!] = depth[i]!;
  return lengths;
}

/** Run-length codes (16, 17, 18) for a sequence of code lengths: [symbol, extra bits value]. */
function runLengthEncode(lengths: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < lengths.length; ) {
    const value = lengths[i]!;
    let run = 1;
    while (i + run < lengths.length && lengths[i + run] === value) run++;
    i += run;
    if (value === 0) {
      while (run >= 11) {
        const r = Math.min(run, 138);
        out.push([18, r - 11]);
        run -= r;
      }
      if (run >= 3) {
        out.push([17, run - 3]);
        run = 0;
      }
    } else {
      out.push([value, 0]);
      run--;
      while (run >= 3) {
        const r = Math.min(run, 6);
        out.push([16, r - 3]);
        run -= r;
      }
    }
    for (; run > 0; run--) out.push([value, 0]);
  }
  return out;
}

const CODE_LENGTH_EXTRA: Readonly<Record<number, number>> = { 16: 2, 17: 3, 18: 7 };

const FIXED = (() => {
  const literalLengths = fixedLiteralLengths();
  const distanceLengths = fixedDistanceLengths();
  return {
    literalLengths,
    distanceLengths,
    literalCodes: canonicalCodes(literalLengths),
    distanceCodes: canonicalCodes(distanceLengths),
  };
})();

class BlockEncoder {
  readonly literal = new Uint16Array(BLOCK_TOKENS);
  readonly distance = new Uint16Array(BLOCK_TOKENS);
  count = 0;

  constructor(
    private readonly input: Uint8Array,
    private readonly out: BitWriter,
  ) {}

  /** Writes the tokens gathered so far, which encode input[start, end). */
  flush(start: number, end: number, final: boolean): void {
    const literalFreq = new Uint32Array(286);
    const distanceFreq = new Uint32Array(30);
    let extraBits = 0;
    for (let t = 0; t < this.count; t++) {
      const d = this.distance[t]!;
      if (d === 0) {
        literalFreq[this.literal[t]!]!++;
      } else {
        const li = LENGTH_INDEX[this.literal[t]!]!;
        const di = DIST_INDEX[d]!;
        literalFreq[257 + li]!++;
        distanceFreq[di]!++;
        extraBits += LENGTH_EXTRA[li]! + DIST_EXTRA[di]!;
      }
    }
    literalFreq[END_OF_BLOCK] = 1;

    const literalLengths = huffmanLengths(literalFreq, MAX_CODE_BITS);
    const distanceLengths = huffmanLengths(distanceFreq, MAX_CODE_BITS);
    const header = this.dynamicHeader(literalLengths, distanceLengths);
    const cost = (ll: Uint8Array, dl: Uint8Array): number => {
      let bits = extraBits;
      for (let s = 0; s < literalFreq.length; s++) bits += literalFreq[s]! * ll[s]!;
      for (let s = 0; s < distanceFreq.length; s++) bits += distanceFreq[s]! * dl[s]!;
      return bits;
    };
    const dynamicBits = 3 + header.bits + cost(literalLengths, distanceLengths);
    const fixedBits = 3 + cost(FIXED.literalLengths, FIXED.distanceLengths);
    const storedBits = (end - start + 5 * Math.max(1, Math.ceil((end - start) / MAX_STORED))) * 8 + 7;

    if (storedBits <= dynamicBits && storedBits <= fixedBits) {
      this.writeStored(start, end, final);
    } else if (fixedBits <= dynamicBits) {
      this.out.write(final ? 1 : 0, 1);
      this.out.write(1, 2);
      this.writeTokens(FIXED.literalCodes, FIXED.literalLengths, FIXED.distanceCodes, FIXED.distanceLengths);
    } else {
      this.out.write(final ? 1 : 0, 1);
      this.out.write(2, 2);
      header.write();
      this.writeTokens(canonicalCodes(literalLengths), literalLengths, canonicalCodes(distanceLengths), distanceLengths);
    }
    this.count = 0;
  }

  private writeStored(start: number, end: number, final: boolean): void {
    let pos = start;
    do {
      const length = Math.min(MAX_STORED, end - pos);
      const last = pos + length === end;
      this.out.write(final && last ? 1 : 0, 1);
      this.out.write(0, 2);
      this.out.alignToByte();
      this.out.write(length, 16);
      this.out.write(~length & 0xffff, 16);
      this.out.writeBytes(this.input.subarray(pos, pos + length));
      pos += length;
    } while (pos < end);
  }

  private writeTokens(lc: Uint16Array, ll: Uint8Array, dc: Uint16Array, dl: Uint8Array): void {
    const out = this.out;
    for (let t = 0; t < this.count; t++) {
      const d = this.distance[t]!;
      const v = this.literal[t]!;
      if (d === 0) {
        out.write(lc[v]!, ll[v]!);
        continue;
      }
      const li = LENGTH_INDEX[v]!;
      out.write(lc[257 + li]!, ll[257 + li]!);
      out.write(v - LENGTH_BASE[li]!, LENGTH_EXTRA[li]!);
      const di = DIST_INDEX[d]!;
      out.write(dc[di]!, dl[di]!);
      out.write(d - DIST_BASE[di]!, DIST_EXTRA[di]!);
    }
    out.write(lc[END_OF_BLOCK]!, ll[END_OF_BLOCK]!);
  }

  private dynamicHeader(literalLengths: Uint8Array, distanceLengths: Uint8Array): { bits: number; write: () => void } {
    let literalCount = 286;
    while (literalCount > 257 && literalLengths[literalCount - 1] === 0) literalCount--;
    let distanceCount = 30;
    while (distanceCount > 1 && distanceLengths[distanceCount - 1] === 0) distanceCount--;
    const all = new Uint8Array(literalCount + distanceCount);
    all.set(literalLengths.subarray(0, literalCount));
    all.set(distanceLengths.subarray(0, distanceCount), literalCount);
    const runs = runLengthEncode(all);
    const clFreq = new Uint32Array(19);
    for (const [sym] of runs) clFreq[sym]!++;
    const clLengths = huffmanLengths(clFreq, 7);
    const clCodes = canonicalCodes(clLengths);
    let clCount = 19;
    while (clCount > 4 && clLengths[CODE_LENGTH_ORDER[clCount - 1]!] === 0) clCount--;
    let bits = 14 + 3 * clCount;
    for (const [sym] of runs) bits += clLengths[sym]! + (CODE_LENGTH_EXTRA[sym] ?? 0);
    const write = (): void => {
      this.out.write(literalCount - 257, 5);
      this.out.write(distanceCount - 1, 5);
      this.out.write(clCount - 4, 4);
      for (let i = 0; i < clCount; i++) this.out.write(clLengths[CODE_LENGTH_ORDER[i]!]!, 3);
      for (const [sym, extra] of runs) {
        this.out.write(clCodes[sym]!, clLengths[sym]!);
        const extraBits = CODE_LENGTH_EXTRA[sym];
        if (extraBits !== undefined) this.out.write(extra, extraBits);
      }
    };
    return { bits, write };
  }
}

/** Compresses `input` into a raw DEFLATE stream. */
export function deflateRaw(input: Uint8Array, options: DeflateOptions = {}): Uint8Array {
  const maxChain = options.maxChain ?? 32;
  const n = input.length;
  const out = new BitWriter((n >>> 1) + 64);
  const blocks = new BlockEncoder(input, out);
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const prev = new Int32Array(WINDOW);
  const hashAt = (p: number): number =>
    ((input[p]! << 10) ^ (input[p + 1]! << 5) ^ input[p + 2]!) & ((1 << HASH_BITS) - 1);
  const insert = (p: number): void => {
    if (p + MIN_MATCH > n) return;
    const h = hashAt(p);
    prev[p & (WINDOW - 1)] = head[h]!;
    head[h] = p;
  };

  let blockStart = 0;
  let pos = 0;
  while (pos < n) {
    let bestLength = 0;
    let bestDistance = 0;
    if (pos + MIN_MATCH <= n) {
      const maxLength = Math.min(MAX_MATCH, n - pos);
      const limit = pos - WINDOW;
      let candidate = head[hashAt(pos)]!;
      for (let chain = maxChain; candidate >= 0 && candidate >= limit && chain > 0; chain--) {
        if (input[candidate + bestLength] === input[pos + bestLength]) {
          let length = 0;
          while (length < maxLength && input[candidate + length] === input[pos + length]) length++;
          if (length > bestLength) {
            bestLength = length;
            bestDistance = pos - candidate;
            if (length === maxLength) break;
          }
        }
        const older = prev[candidate & (WINDOW - 1)]!;
        if (older >= candidate) break;
        candidate = older;
      }
    }
    const t = blocks.count++;
    if (bestLength >= MIN_MATCH) {
      blocks.literal[t] = bestLength;
      blocks.distance[t] = bestDistance;
      for (const end = pos + bestLength; pos < end; pos++) insert(pos);
    } else {
      blocks.literal[t] = input[pos]!;
      blocks.distance[t] = 0;
      insert(pos);
      pos++;
    }
    if (blocks.count === BLOCK_TOKENS && pos < n) {
      blocks.flush(blockStart, pos, false);
      blockStart = pos;
    }
  }
  blocks.flush(blockStart, n, true);
  out.alignToByte();
  return out.bytes.slice(0, out.length);
}
