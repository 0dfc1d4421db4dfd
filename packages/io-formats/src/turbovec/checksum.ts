import { crc32c } from '@quiver/core-math';

/**
 * turbovec's v7 checksum (`io_v7::crc32`): plain CRC-32C (Castagnoli, init and final xor
 * 0xFFFFFFFF, the same as core-math's `crc32c`) for inputs under 4096 bytes. Longer inputs are
 * split into three length-derived parts (floor(len/3), floor(len/3), the rest), each CRC-32C'd,
 * and the stored value is the CRC-32C of the three results as 12 little-endian bytes.
 */
export function turbovecCrc(bytes: Uint8Array): number {
  const digest = new TurbovecDigest(bytes.length);
  digest.push(bytes);
  return digest.finish();
}

const SPLIT_THRESHOLD = 4096;

/**
 * `turbovecCrc` of a virtual buffer fed in pieces; the total length must be known up front
 * because it decides the split points (turbovec's `DeltaDigest`).
 */
export class TurbovecDigest {
  private at = 0;
  private readonly split1: number;
  private readonly split2: number;
  private readonly parts = [0, 0, 0];

  constructor(private readonly total: number) {
    const third = Math.floor(total / 3);
    this.split1 = total >= SPLIT_THRESHOLD ? third : Infinity;
    this.split2 = total >= SPLIT_THRESHOLD ? third * 2 : Infinity;
  }

  push(data: Uint8Array): void {
    let offset = 0;
    while (offset < data.length) {
      const part = this.at < this.split1 ? 0 : this.at < this.split2 ? 1 : 2;
      const end = part === 0 ? this.split1 : part === 1 ? this.split2 : Infinity;
      const take = Math.min(data.length - offset, end - this.at);
      this.parts[part] = crc32c(data.subarray(offset, offset + take), this.parts[part]);
      this.at += take;
      offset += take;
    }
  }

  finish(): number {
    if (this.total < SPLIT_THRESHOLD) return this.parts[0]!;
    const digest = new Uint8Array(12);
    const view = new DataView(digest.buffer);
    for (let i = 0; i < 3; i++) view.setUint32(i * 4, this.parts[i]!, true);
    return crc32c(digest);
  }
}
