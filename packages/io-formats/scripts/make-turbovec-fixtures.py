#!/usr/bin/env python3
"""Hand-writes turbovec v5, v6 and simple-layout files byte by byte (plain `struct`, no turbovec,
no numpy, no code shared with the TypeScript reader), from the layouts turbovec's `convert.rs`
(1.0) and its API reference describe. turbovec 1.0 itself can no longer read v5 or v6, and cannot
be built here, so these files are the independent check of Quiver's readers.

Run from anywhere:  python3 packages/io-formats/scripts/make-turbovec-fixtures.py
Output: packages/io-formats/test/fixtures/turbovec/*.tv|*.tvim and manifest.json, which records
for every file the values a reader must return (packed codes as hex, scales and calibration as
float32 bit patterns, ids as decimal strings).

Layouts (all little-endian):
  v5   magic ("TVPI" .tv / "TVIM" .tvim), version 5, bit_width u8, dim u32, count u64,
       packed codes (count * bit_width * dim / 8), scales f32[count], n_calib u32,
       shift f32[n_calib], scale f32[n_calib], .tvim: ids u64[count]
  v6   as v5 with version 6, the codebook (2^b - 1 boundaries, 2^b centroids, f32) after the
       header, and the codes as sequential 32-row blocks (block, byte group, lane), the last
       block zero-padded
  simple .tv: bit_width u8, dim u32, count u32, packed codes, norms f32[count]
         .tvim: "TVIM", 1, the .tv payload, ids u64[count]
"""
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'turbovec')


def codes_for(count, dim, bits, seed):
    """Per-row lists of integer codes in [0, 2^bits), a fixed arithmetic pattern."""
    return [[(seed + 7 * r + 3 * j + (r * j) % 5) % (1 << bits) for j in range(dim)] for r in range(count)]


def packed_row(codes, dim, bits):
    """Bit planes: plane p carries bit p of coordinate j at byte j // 8, bit 7 - j % 8."""
    planes = bytearray(bits * dim // 8)
    for j, code in enumerate(codes):
        for p in range(bits):
            if code >> p & 1:
                planes[p * (dim // 8) + j // 8] |= 0x80 >> (j % 8)
    return bytes(planes)


def seq_row(codes, bits):
    """One byte per group of 8 // bits codes, first code highest; 3-bit codes take 4-bit fields."""
    per = 8 // bits
    field = 4 if bits == 3 else bits
    out = []
    for g in range(len(codes) // per):
        v = 0
        for c in range(per):
            v |= codes[g * per + c] << ((per - 1 - c) * field)
        out.append(v)
    return out


def seq_blocked(rows, bits):
    if not rows:
        return b''
    row_bytes = len(seq_row(rows[0], bits))
    blocks = (len(rows) + 31) // 32
    out = bytearray(blocks * 32 * row_bytes)
    for r, codes in enumerate(rows):
        for g, v in enumerate(seq_row(codes, bits)):
            out[((r // 32) * row_bytes + g) * 32 + r % 32] = v
    return bytes(out)


def f32(v):
    return struct.pack('<f', v)


def f32_bits(v):
    return struct.unpack('<I', f32(v))[0]


def codebook(bits):
    levels = 1 << bits
    centroids = [struct.unpack('<f', f32((i - (levels - 1) / 2) * 0.125))[0] for i in range(levels)]
    boundaries = [struct.unpack('<f', f32(centroids[i] + centroids[i + 1]))[0] * 0.5 for i in range(levels - 1)]
    return boundaries, centroids


def fixture(name, version, bits, dim, count, calibrated, ids, seed):
    rows = codes_for(count, dim, bits, seed)
    scales = [0.25 + 0.5 * r for r in range(count)]
    shift = [0.01 * (j - dim // 2) for j in range(dim)] if calibrated else []
    scale = [1.0 + 0.02 * j for j in range(dim)] if calibrated else []
    id_list = [10_000_000_000 + 97 * r for r in range(count)] if ids else None
    packed = b''.join(packed_row(codes, dim, bits) for codes in rows)
    boundaries, centroids = codebook(bits) if count > 0 else ([0.0] * ((1 << bits) - 1), [0.0] * (1 << bits))
    if version == 'simple':
        body = bytes([bits]) + struct.pack('<II', dim, count) + packed + b''.join(f32(s) for s in scales)
        data = (b'TVIM' + bytes([1]) + body + b''.join(struct.pack('<Q', i) for i in id_list)) if ids else body
    else:
        out = bytearray(b'TVIM' if ids else b'TVPI')
        out += bytes([version, bits]) + struct.pack('<IQ', dim, count)
        if version == 6:
            out += b''.join(f32(v) for v in boundaries + centroids)
            out += seq_blocked(rows, bits)
        else:
            out += packed
        out += b''.join(f32(s) for s in scales)
        out += struct.pack('<I', len(shift)) + b''.join(f32(v) for v in shift + scale)
        if ids:
            out += b''.join(struct.pack('<Q', i) for i in id_list)
        data = bytes(out)
    with open(os.path.join(ROOT, name), 'wb') as fh:
        fh.write(data)
    return {
        'format': 'v%d' % version if version != 'simple' else 'simple',
        'dim': dim,
        'bitWidth': bits,
        'count': count,
        'packedHex': packed.hex(),
        'scaleBits': [f32_bits(s) for s in scales],
        'shiftBits': [f32_bits(v) for v in shift],
        'scaleCalBits': [f32_bits(v) for v in scale],
        'ids': [str(i) for i in id_list] if ids else None,
        'centroidBits': [f32_bits(v) for v in centroids] if version == 6 and count > 0 else None,
        'length': len(data),
    }


def main():
    os.makedirs(ROOT, exist_ok=True)
    manifest = {
        'v5-2bit.tv': fixture('v5-2bit.tv', 5, 2, 16, 3, True, False, 1),
        'v5-4bit.tvim': fixture('v5-4bit.tvim', 5, 4, 8, 2, False, True, 2),
        'v6-4bit.tv': fixture('v6-4bit.tv', 6, 4, 16, 3, True, False, 3),
        'v6-3bit.tvim': fixture('v6-3bit.tvim', 6, 3, 24, 33, False, True, 4),
        'v6-2bit-40.tv': fixture('v6-2bit-40.tv', 6, 2, 32, 40, True, False, 5),
        'v6-empty.tv': fixture('v6-empty.tv', 6, 2, 8, 0, False, False, 6),
        'simple-4bit.tv': fixture('simple-4bit.tv', 'simple', 4, 16, 3, False, False, 7),
        'simple-2bit.tvim': fixture('simple-2bit.tvim', 'simple', 2, 8, 4, False, True, 8),
    }
    with open(os.path.join(ROOT, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
        fh.write('\n')


if __name__ == '__main__':
    main()
