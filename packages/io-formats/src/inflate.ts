import { CorruptFileError } from '@quiver/core-math';
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
 * A raw DEFLATE decoder (RFC 1951) in plain TypeScript. The output buffer is allocated once at the
 * size the container declares, and a stream that would write past it is refused, so a zip bomb
 * cannot allocate more than its (separately limited) declared size.
 */

/** Codes up to this many bits decode with one table lookup; longer ones walk the canonical code. */
const FAST_BITS = 10;

interface HuffmanDecoder {
  /** Indexed by the next FAST_BITS input bits: (symbol << 4) | length, or -1 for the slow path. */
  readonly fast: Int32Array;
  readonly counts: Uint16Array;
  /** Symbols sorted by code length, then value (canonical order). */
  readonly symbols: Uint16Array;
}

function buildDecoder(lengths: Uint8Array, context: string): HuffmanDecoder {
  const counts = new Uint16Array(MAX_CODE_BITS + 1);
  for (const l of lengths) counts[l]!++;
  counts[0] = 0;
  let left = 1;
  for (let bits = 1; bits <= MAX_CODE_BITS; bits++) {
    left = (left << 1) - counts[bits]!;
    if (left < 0) throw new CorruptFileError('header', `${context}: over-subscribed Huffman code`);
  }
  const offsets = new Uint16Array(MAX_CODE_BITS + 2);
  for (let bits = 1; bits <= MAX_CODE_BITS; bits++) offsets[bits + 1] = offsets[bits]! + counts[bits]!;
  const symbols = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]! > 0) symbols[offsets[lengths[s]!]!++] = s;

  const fast = new Int32Array(1 << FAST_BITS).fill(-1);
  const codes = canonicalCodes(lengths);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (l === 0 || l > FAST_BITS) continue;
    for (let i = codes[s]!; i < 1 << FAST_BITS; i += 1 << l) fast[i] = (s << 4) | l;
  }
  return { fast, counts, symbols };
}

let fixedCodes: { literals: HuffmanDecoder; distances: HuffmanDecoder } | undefined;

/** Inflates `input` into exactly `outputLength` bytes. */
export function inflateRaw(input: Uint8Array, outputLength: number, context: string): Uint8Array {
  const out = new Uint8Array(outputLength);
  const inputBits = input.length * 8;
  let outPos = 0;
  let inPos = 0;
  let bitBuf = 0;
  let bitCount = 0;

  const corrupt = (message: string): never => {
    throw new CorruptFileError('header', `${context}: invalid deflate stream: ${message}`);
  };
  const checkOverrun = (): void => {
    if (inPos * 8 - bitCount > inputBits) {
      throw new CorruptFileError('truncated', `${context}: deflate stream ends early`);
    }
  };
  // Past the end of the input, zero bits are supplied so lookups can peek; checkOverrun catches
  // any that get consumed.
  const need = (n: number): void => {
    while (bitCount < n) {
      bitBuf |= (inPos < input.length ? input[inPos]! : 0) << bitCount;
      inPos++;
      bitCount += 8;
    }
  };
  const bits = (n: number): number => {
    if (n === 0) return 0;
    need(n);
    const v = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCount -= n;
    return v;
  };
  const decode = (h: HuffmanDecoder): number => {
    need(FAST_BITS);
    const entry = h.fast[bitBuf & ((1 << FAST_BITS) - 1)]!;
    if (entry >= 0) {
      const l = entry & 15;
      bitBuf >>>= l;
      bitCount -= l;
      return entry >> 4;
    }
    // Slow path (puff's canonical walk): codes longer than FAST_BITS, or invalid bits.
    let code = 0;
    let first = 0;
    let index = 0;
    for (let l = 1; l <= MAX_CODE_BITS; l++) {
      code |= bits(1);
      const count = h.counts[l]!;
      if (code - first < count) return h.symbols[index + code - first]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    return corrupt('invalid Huffman code');
  };

  const readDynamicCodes = (): { literals: HuffmanDecoder; distances: HuffmanDecoder } => {
    const literalCount = bits(5) + 257;
    const distanceCount = bits(5) + 1;
    const codeLengthCount = bits(4) + 4;
    if (literalCount > 286 || distanceCount > 30) corrupt('too many length or distance codes');
    const codeLengthLengths = new Uint8Array(19);
    for (let i = 0; i < codeLengthCount; i++) codeLengthLengths[CODE_LENGTH_ORDER[i]!] = bits(3);
    const codeLengthDecoder = buildDecoder(codeLengthLengths, context);
    const lengths = new Uint8Array(literalCount + distanceCount);
    for (let i = 0; i < lengths.length; ) {
      const sym = decode(codeLengthDecoder);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let repeat: number;
      let value = 0;
      if (sym === 16) {
        if (i === 0) corrupt('repeat with no previous length');
        value = lengths[i - 1]!;
        repeat = 3 + bits(2);
      } else if (sym === 17) {
        repeat = 3 + bits(3);
      } else {
        repeat = 11 + bits(7);
      }
      if (i + repeat > lengths.length) corrupt('code lengths overflow');
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[END_OF_BLOCK] === 0) corrupt('no end-of-block code');
    return {
      literals: buildDecoder(lengths.subarray(0, literalCount), context),
      distances: buildDecoder(lengths.subarray(literalCount), context),
    };
  };

  let final = 0;
  while (!final) {
    final = bits(1);
    const type = bits(2);
    if (type === 0) {
      // Stored block: drop to a byte boundary and give back the whole bytes still buffered.
      bits(bitCount & 7);
      const length = bits(16);
      const complement = bits(16);
      if (length !== (~complement & 0xffff)) corrupt('stored block length check failed');
      inPos -= bitCount >>> 3;
      bitBuf = 0;
      bitCount = 0;
      if (inPos + length > input.length) throw new CorruptFileError('truncated', `${context}: stored block ends early`);
      if (outPos + length > outputLength) tooLong(context, outputLength);
      out.set(input.subarray(inPos, inPos + length), outPos);
      inPos += length;
      outPos += length;
      continue;
    }
    if (type === 3) corrupt('reserved block type');
    const codes =
      type === 1
        ? (fixedCodes ??= {
            literals: buildDecoder(fixedLiteralLengths(), context),
            distances: buildDecoder(fixedDistanceLengths(), context),
          })
        : readDynamicCodes();
    for (;;) {
      // Zero padding decodes to something, so stop as soon as it is consumed.
      if (inPos > input.length + 4) checkOverrun();
      const sym = decode(codes.literals);
      if (sym < 256) {
        if (outPos >= outputLength) tooLong(context, outputLength);
        out[outPos++] = sym;
        continue;
      }
      if (sym === END_OF_BLOCK) break;
      const lengthIndex = sym - 257;
      if (lengthIndex >= 29) corrupt('invalid length symbol');
      const length = LENGTH_BASE[lengthIndex]! + bits(LENGTH_EXTRA[lengthIndex]!);
      const distIndex = decode(codes.distances);
      if (distIndex >= 30) corrupt('invalid distance symbol');
      const distance = DIST_BASE[distIndex]! + bits(DIST_EXTRA[distIndex]!);
      if (distance > outPos) corrupt('distance before the start of the output');
      if (outPos + length > outputLength) tooLong(context, outputLength);
      for (let i = 0; i < length; i++, outPos++) out[outPos] = out[outPos - distance]!;
    }
    checkOverrun();
  }
  checkOverrun();
  if (outPos !== outputLength) {
    throw new CorruptFileError('truncated', `${context}: inflated to ${outPos} bytes, expected ${outputLength}`);
  }
  return out;
}

function tooLong(context: string, outputLength: number): never {
  throw new CorruptFileError('limit', `${context}: deflate stream inflates past its declared size of ${outputLength} bytes`);
}
