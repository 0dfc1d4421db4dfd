/**
 * ChaCha8 as the Rust crate `rand_chacha` 0.3.1 exposes it through `rand_core` 0.6, which is the
 * stream turbovec's rotation is drawn from:
 *
 * - `from_seed(seed)`: the 32 seed bytes are the key (eight little-endian words); the 64-bit block
 *   counter starts at 0 (state words 12, 13) and the 64-bit stream id is 0 (words 14, 15).
 * - Each refill produces four consecutive 64-byte blocks (counter c, c+1, c+2, c+3) into a buffer of
 *   64 words, block after block; the counter then advances by 4.
 * - `next_u32` takes the next buffered word, refilling when the buffer is exhausted.
 * - `next_u64` takes two words, low first; when only one word is left it takes that one as the low
 *   half and word 0 of the next refill as the high half (`rand_core`'s `BlockRng::next_u64`).
 *
 * Not for cryptography: it exists to reproduce a frozen stream bit for bit.
 */

const BUFFER_WORDS = 64;
const BLOCK_WORDS = 16;
const DOUBLE_ROUNDS = 4; // ChaCha8 = 8 rounds

export class ChaCha8Rng {
  private readonly key = new Uint32Array(8);
  private counterLow = 0;
  private counterHigh = 0;
  private readonly buffer = new Uint32Array(BUFFER_WORDS);
  private index = BUFFER_WORDS;
  private readonly state = new Uint32Array(BLOCK_WORDS);
  private readonly working = new Uint32Array(BLOCK_WORDS);

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new RangeError('ChaCha8Rng needs a 32-byte seed');
    for (let i = 0; i < 8; i++) {
      this.key[i] = (seed[4 * i]! | (seed[4 * i + 1]! << 8) | (seed[4 * i + 2]! << 16) | (seed[4 * i + 3]! << 24)) >>> 0;
    }
  }

  nextU32(): number {
    if (this.index >= BUFFER_WORDS) this.refill();
    return this.buffer[this.index++]!;
  }

  /**
   * The next `u64` reduced modulo `modulus` (a positive integer below 2^21), computed exactly
   * without BigInt: `(high * 2^32 + low) mod m`.
   */
  nextU64Mod(modulus: number): number {
    let low: number;
    let high: number;
    if (this.index < BUFFER_WORDS - 1) {
      low = this.buffer[this.index]!;
      high = this.buffer[this.index + 1]!;
      this.index += 2;
    } else if (this.index >= BUFFER_WORDS) {
      this.refill();
      low = this.buffer[0]!;
      high = this.buffer[1]!;
      this.index = 2;
    } else {
      low = this.buffer[BUFFER_WORDS - 1]!;
      this.refill();
      high = this.buffer[0]!;
      this.index = 1;
    }
    // high % m < 2^21 and 2^32 % m < 2^21, so every intermediate stays below 2^53.
    return (((high % modulus) * (4294967296 % modulus)) % modulus + (low % modulus)) % modulus;
  }

  private refill(): void {
    const s = this.state;
    s[0] = 0x61707865;
    s[1] = 0x3320646e;
    s[2] = 0x79622d32;
    s[3] = 0x6b206574;
    s.set(this.key, 4);
    s[14] = 0;
    s[15] = 0;
    for (let block = 0; block < BUFFER_WORDS / BLOCK_WORDS; block++) {
      s[12] = this.counterLow;
      s[13] = this.counterHigh;
      this.block(block * BLOCK_WORDS);
      this.counterLow = (this.counterLow + 1) >>> 0;
      if (this.counterLow === 0) this.counterHigh = (this.counterHigh + 1) >>> 0;
    }
    this.index = 0;
  }

  private block(outOffset: number): void {
    const x = this.working;
    x.set(this.state);
    for (let r = 0; r < DOUBLE_ROUNDS; r++) {
      quarterRound(x, 0, 4, 8, 12);
      quarterRound(x, 1, 5, 9, 13);
      quarterRound(x, 2, 6, 10, 14);
      quarterRound(x, 3, 7, 11, 15);
      quarterRound(x, 0, 5, 10, 15);
      quarterRound(x, 1, 6, 11, 12);
      quarterRound(x, 2, 7, 8, 13);
      quarterRound(x, 3, 4, 9, 14);
    }
    for (let i = 0; i < BLOCK_WORDS; i++) this.buffer[outOffset + i] = (x[i]! + this.state[i]!) >>> 0;
  }
}

function quarterRound(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  x[a] = x[a]! + x[b]!;
  x[d] = rotl(x[d]! ^ x[a]!, 16);
  x[c] = x[c]! + x[d]!;
  x[b] = rotl(x[b]! ^ x[c]!, 12);
  x[a] = x[a]! + x[b]!;
  x[d] = rotl(x[d]! ^ x[a]!, 8);
  x[c] = x[c]! + x[d]!;
  x[b] = rotl(x[b]! ^ x[c]!, 7);
}

function rotl(v: number, n: number): number {
  return (v << n) | (v >>> (32 - n));
}
