import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@quiver/core-math';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quiver-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const variants = [
  ['writeFileAtomic', (p: string, d: Uint8Array | Iterable<Uint8Array>) => writeFileAtomic(p, d)],
  ['writeFileAtomicSync', async (p: string, d: Uint8Array | Iterable<Uint8Array>) => writeFileAtomicSync(p, d)],
] as const;

describe.each(variants)('%s', (_name, write) => {
  it('creates and replaces files, from one buffer or chunks, leaving no temporary files', async () => {
    const target = join(dir, 'a.bin');
    await write(target, bytes('first'));
    expect(readFileSync(target, 'utf8')).toBe('first');
    await write(target, [bytes('sec'), bytes(''), bytes('ond')]);
    expect(readFileSync(target, 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  it('never exposes a partial file: the target keeps the old content until the rename', async () => {
    const target = join(dir, 'b.bin');
    writeFileSync(target, 'old');
    const seen: string[] = [];
    function* chunks(): Generator<Uint8Array> {
      yield bytes('new-1 ');
      seen.push(readFileSync(target, 'utf8'));
      yield bytes('new-2');
      seen.push(readFileSync(target, 'utf8'));
    }
    await write(target, chunks());
    expect(seen).toEqual(['old', 'old']);
    expect(readFileSync(target, 'utf8')).toBe('new-1 new-2');
  });

  it('a failed write leaves the old file intact and removes the temporary file', async () => {
    const target = join(dir, 'c.bin');
    writeFileSync(target, 'keep me');
    function* failing(): Generator<Uint8Array> {
      yield bytes('partial');
      throw new InvalidArgumentError('data', 'producer failed');
    }
    await expect(write(target, failing())).rejects.toThrow('producer failed');
    await expect(write(target, [bytes('x'), 'not bytes' as never])).rejects.toThrow(InvalidArgumentError);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(readdirSync(dir)).toEqual(['c.bin']);
  });

  it('keeps the permissions of the file it replaces', async () => {
    const target = join(dir, 'd.bin');
    writeFileSync(target, 'x');
    chmodSync(target, 0o600);
    await write(target, bytes('y'));
    expect(statSync(target).mode & 0o777).toBe(0o600);
    chmodSync(target, 0o666); // wider than the usual umask allows for new files
    await write(target, bytes('z'));
    expect(statSync(target).mode & 0o777).toBe(0o666);
  });

  it('reports a missing directory as Node does and creates nothing', async () => {
    await expect(write(join(dir, 'missing', 'e.bin'), bytes('x'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
    await expect(write('', bytes('x'))).rejects.toThrow(InvalidArgumentError);
  });
});
