import { checkK } from './validate.js';

/**
 * Bounded selection of the k best (score, slot) pairs, for k much smaller than n.
 *
 * A binary min-heap keyed on "worse first": its root is the worst kept pair, so a candidate only
 * costs one comparison against `threshold` unless it enters. Order is by score descending, and
 * equal scores go to the lower slot, so results are deterministic.
 */
export class TopK {
  readonly k: number;
  private readonly heapScores: Float64Array;
  private readonly heapSlots: Int32Array;
  private count = 0;

  constructor(k: number) {
    this.k = checkK(k);
    this.heapScores = new Float64Array(k);
    this.heapSlots = new Int32Array(k);
  }

  get size(): number {
    return this.count;
  }

  /** The score a candidate must beat to enter once the heap is full; -Infinity before that. */
  get threshold(): number {
    return this.count < this.k ? -Infinity : this.heapScores[0]!;
  }

  clear(): void {
    this.count = 0;
  }

  /** Offers a candidate; returns whether it was kept. */
  push(score: number, slot: number): boolean {
    const scores = this.heapScores;
    const slots = this.heapSlots;
    if (this.count < this.k) {
      // Sift up from the new leaf.
      let i = this.count++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!isWorse(score, slot, scores[parent]!, slots[parent]!)) break;
        scores[i] = scores[parent]!;
        slots[i] = slots[parent]!;
        i = parent;
      }
      scores[i] = score;
      slots[i] = slot;
      return true;
    }
    if (!isWorse(scores[0]!, slots[0]!, score, slot)) return false;
    this.siftDownFromRoot(score, slot);
    return true;
  }

  /**
   * Writes the kept pairs best first into `outScores` / `outSlots` at `offset`, returns how many,
   * and empties the heap.
   */
  drainInto(outScores: Float32Array | Float64Array, outSlots: Int32Array | Uint32Array, offset = 0): number {
    const n = this.count;
    // Repeatedly pop the worst pair into the last free position.
    for (let end = n - 1; end >= 0; end--) {
      outScores[offset + end] = this.heapScores[0]!;
      outSlots[offset + end] = this.heapSlots[0]!;
      this.count = end;
      if (end > 0) this.siftDownFromRoot(this.heapScores[end]!, this.heapSlots[end]!);
    }
    return n;
  }

  private siftDownFromRoot(score: number, slot: number): void {
    const scores = this.heapScores;
    const slots = this.heapSlots;
    const n = this.count;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && isWorse(scores[right]!, slots[right]!, scores[left]!, slots[left]!)) child = right;
      if (!isWorse(scores[child]!, slots[child]!, score, slot)) break;
      scores[i] = scores[child]!;
      slots[i] = slots[child]!;
      i = child;
    }
    scores[i] = score;
    slots[i] = slot;
  }
}

/** True when (scoreA, slotA) ranks below (scoreB, slotB). */
function isWorse(scoreA: number, slotA: number, scoreB: number, slotB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && slotA > slotB);
}

/**
 * Selects the best `k` of `scores[0..n)` (slot = position + `slotOffset`) into `outScores` /
 * `outSlots` at `outOffset`, best first. Returns how many were written (min(k, n)).
 */
export function selectTopK(
  scores: Float32Array,
  n: number,
  k: number,
  outScores: Float32Array,
  outSlots: Int32Array,
  outOffset = 0,
  slotOffset = 0,
): number {
  const heap = new TopK(k);
  let threshold = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    // Slots arrive in increasing order, so an equal score never beats the kept one.
    if (s > threshold || heap.size < k) {
      heap.push(s, i + slotOffset);
      threshold = heap.threshold;
    }
  }
  return heap.drainInto(outScores, outSlots, outOffset);
}
