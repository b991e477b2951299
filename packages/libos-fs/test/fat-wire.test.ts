/**
 * On-disk views and Reprs: deconstruct / construct / parse / emit with byte fixtures
 * captured from `mkfs.fat -C -n TESTVOL -i 1234ABCD img 1440` + `mcopy 'Long File Name.txt'`.
 */
import {
  BootSector,
  basisName,
  checkFatName,
  DirEntry,
  decodeFatTimestamp,
  displayShortName,
  emitBootSector,
  emitFsInfo,
  encodeFatTimestamp,
  FatAttr,
  FatTable,
  generateShortName,
  LfnEntry,
  lfnChecksum,
  parseBootSector,
  parseFsInfo,
  shortNameKey,
  walkChain,
} from '@libos/fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((h) => Number.parseInt(h, 16)));
const ascii = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

// Root directory of the image: volume label, two long-name entries, the short entry.
const LABEL = hex('54455354564f4c20202020080000b05a7b5d7b5d0000b05a7b5d000000000000');
const LFN2 = hex('4265002e007400780074000f00d40000ffffffffffffffffffff0000ffffffff');
const LFN1 = hex('014c006f006e00670020000f00d4460069006c00650020004e00000061006d00');
const SHORT = hex('4c4f4e4746497e31545854200000b05a7b5d7b5d0000b05a7b5d020002000000');
const BOOT_HEAD = hex(
  'eb3c906d6b66732e666174000201010002e000400bf00900120002000000000000000000000029cdab341254455354564f4c2020202046415431322020200e1f',
);

function bootSector(): Uint8Array {
  const b = new Uint8Array(512);
  b.set(BOOT_HEAD);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

describe('boot sector', () => {
  it('deconstructs the mkfs.fat floppy BPB', () => {
    const v = new BootSector(bootSector());
    expect(v.bytesPerSector).toBe(512);
    expect(v.sectorsPerCluster).toBe(1);
    expect(v.reservedSectors).toBe(1);
    expect(v.numFats).toBe(2);
    expect(v.rootEntries).toBe(224);
    expect(v.totalSectors16).toBe(2880);
    expect(v.media).toBe(0xf0);
    expect(v.fatSize16).toBe(9);
    expect(v.volumeId(false)).toBe(0x1234abcd);
    expect(v.label(false)).toBe('TESTVOL');
  });
  it('parses the geometry and the type from the cluster count', () => {
    const r = parseBootSector(bootSector());
    if (typeof r === 'string') throw new Error(r);
    expect(r.type).toBe(12);
    expect(r.rootDirSector).toBe(19);
    expect(r.firstDataSector).toBe(33);
    expect(r.clusterCount).toBe(2847);
  });
  it('emits what it parses', () => {
    const r = parseBootSector(bootSector());
    if (typeof r === 'string') throw new Error(r);
    const out = new Uint8Array(512);
    emitBootSector(r, out);
    expect(parseBootSector(out)).toEqual(r);
    expect(out.subarray(11, 36)).toEqual(bootSector().subarray(11, 36));
  });
  it('rejects damaged boot sectors with a reason', () => {
    expect(parseBootSector(new Uint8Array(512))).toBe('no-signature');
    const b = bootSector();
    b[13] = 3;
    expect(parseBootSector(b)).toBe('bad-cluster-size');
    const c = bootSector();
    c[11] = 0;
    c[12] = 3;
    expect(parseBootSector(c)).toBe('bad-sector-size');
    const d = bootSector();
    d[22] = 1; // FAT of one sector cannot map 2847 clusters
    expect(parseBootSector(d)).toBe('bad-fat-size');
  });
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), (bytes) => {
        bytes[510] = 0x55;
        bytes[511] = 0xaa;
        const r = parseBootSector(bytes);
        if (typeof r !== 'string') expect(r.clusterCount).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('directory entries', () => {
  it('deconstructs the short entry mcopy wrote', () => {
    const e = new DirEntry(SHORT, 0);
    expect(shortNameKey(e.rawName)).toBe('LONGFI~1TXT');
    expect(e.attr).toBe(FatAttr.ARCHIVE);
    expect(e.firstCluster).toBe(2);
    expect(e.fileSize).toBe(2);
    expect(e.isLongName).toBe(false);
    expect(new DirEntry(LABEL, 0).attr).toBe(FatAttr.VOLUME_ID);
  });
  it('constructs the same bytes', () => {
    const out = new Uint8Array(32);
    const e = new DirEntry(out, 0);
    e.setRawName(ascii('LONGFI~1TXT'));
    e.attr = FatAttr.ARCHIVE;
    e.createTime = 0x5ab0;
    e.createDate = 0x5d7b;
    e.accessDate = 0x5d7b;
    e.writeTime = 0x5ab0;
    e.writeDate = 0x5d7b;
    e.firstCluster = 2;
    e.fileSize = 2;
    expect(out).toEqual(SHORT);
  });
  it('keeps the high cluster word on FAT32', () => {
    const e = new DirEntry(new Uint8Array(64), 32);
    e.firstCluster = 0x0123abcd;
    expect(e.firstCluster).toBe(0x0123abcd);
    expect(e.bytes[32 + 20]).toBe(0x23);
    expect(e.bytes[32 + 26]).toBe(0xcd);
  });
});

describe('long-name entries', () => {
  it('checksums the short name as mtools does', () => {
    expect(lfnChecksum(ascii('LONGFI~1TXT'))).toBe(0xd4);
    expect(lfnChecksum(ascii('README  TXT'))).toBe(0x73);
  });
  it('deconstructs the captured pair', () => {
    const last = new LfnEntry(LFN2, 0);
    expect(last.ordinal).toBe(0x42);
    expect(last.checksum).toBe(0xd4);
    const units = [...Array(13).keys()].map((i) => last.unit(i));
    expect(units.slice(0, 5)).toEqual([0x65, 0x2e, 0x74, 0x78, 0x74]);
    expect(units[5]).toBe(0);
    expect(units[6]).toBe(0xffff);
  });
  it('constructs the same bytes', () => {
    const out = new Uint8Array(64);
    new LfnEntry(out, 0).write(0x42, 0xd4, 'Long File Name.txt', 13);
    new LfnEntry(out, 32).write(0x01, 0xd4, 'Long File Name.txt', 0);
    expect(out.subarray(0, 32)).toEqual(LFN2);
    expect(out.subarray(32)).toEqual(LFN1);
  });
});

describe('short names', () => {
  it('generates basis names and numeric tails like fatgen103 and mtools', () => {
    const used = new Set<string>();
    const gen = (n: string) => {
      const raw = generateShortName(n, (k) => used.has(k))!;
      used.add(shortNameKey(raw));
      return shortNameKey(raw);
    };
    expect(gen('Long File Name.txt')).toBe('LONGFI~1TXT');
    expect(gen('Long File Name 2.txt')).toBe('LONGFI~2TXT');
    expect(gen('README.TXT')).toBe('README  TXT');
    expect(gen('notes.md')).toBe('NOTES   MD ');
    expect(gen('.bashrc')).toBe('BASHRC~1   ');
    expect(gen('a+b=c.tar.gz')).toBe('A_B_CT~1GZ ');
    expect(gen('Ünï.txt')).toBe('_N_~1   TXT');
    for (let i = 3; i <= 4; i++) expect(gen(`Long File Name ${i}.txt`)).toBe(`LONGFI~${i}TXT`);
    // After ~4: two basis characters, four hex digits of a hash, ~1 — all distinct.
    const later = new Set<string>();
    for (let i = 5; i <= 500; i++) later.add(gen(`Long File Name ${i}.txt`));
    expect(later.size).toBe(496);
    for (const n of later) expect(n).toMatch(/^LO[0-9A-F]{4}~1TXT$/);
  });
  it('reports lossy conversions', () => {
    expect(basisName('readme.txt')).toEqual({ base: 'README', ext: 'TXT', lossy: false });
    expect(basisName('My Long Document.html')).toEqual({
      base: 'MYLONGDO',
      ext: 'HTM',
      lossy: true,
    });
  });
  it('validates long names', () => {
    expect(checkFatName('a:b')).toBe('bad-char');
    expect(checkFatName('x'.repeat(256))).toBe('too-long');
    expect(checkFatName('trailing.')).toBe('trailing-dot-or-space');
    expect(checkFatName('ok name.txt')).toBeUndefined();
  });
  it('shows NT lower-case flags', () => {
    expect(displayShortName(ascii('README  TXT'), 0x08)).toBe('readme.TXT');
    expect(displayShortName(ascii('README  TXT'), 0x18)).toBe('readme.txt');
    expect(displayShortName(ascii('MAKEFILE   '), 0)).toBe('MAKEFILE');
  });
});

describe('timestamps', () => {
  it('decodes the captured stamp (2026-11-27 11:21:32, local = UTC)', () => {
    expect(new Date(decodeFatTimestamp(0x5d7b, 0x5ab0)).toISOString()).toBe(
      '2026-11-27T11:21:32.000Z',
    );
  });
  it('round-trips at 10 ms resolution for creation times', () => {
    const t = Date.UTC(2024, 1, 29, 23, 59, 59, 990);
    const s = encodeFatTimestamp(t);
    expect(s.tenths).toBe(199);
    expect(decodeFatTimestamp(s.date, s.time, s.tenths)).toBe(t);
  });
  it('clamps outside 1980–2107', () => {
    expect(decodeFatTimestamp(encodeFatTimestamp(0).date, encodeFatTimestamp(0).time)).toBe(
      Date.UTC(1980, 0, 1),
    );
  });
});

describe('FSInfo', () => {
  it('emits and parses the signatures and hints', () => {
    const b = new Uint8Array(512);
    emitFsInfo({ freeCount: 1000, nextFree: 3 }, b);
    expect(b.subarray(0, 4)).toEqual(ascii('RRaA'));
    expect(b.subarray(484, 488)).toEqual(ascii('rrAa'));
    expect(b.subarray(508, 512)).toEqual(hex('000055aa'));
    expect(parseFsInfo(b)).toEqual({ freeCount: 1000, nextFree: 3 });
    b[0] = 0;
    expect(parseFsInfo(b)).toBe('bad-signature');
  });
});

describe('FAT table', () => {
  it('packs FAT12 entries across byte (and sector) boundaries', () => {
    const fat = new FatTable(12, new Uint8Array(1024), 512, 600);
    fat.set(340, 0xabc); // byte 510–511
    fat.set(341, 0x123); // byte 511–512: straddles the sector boundary
    expect(fat.get(340)).toBe(0xabc);
    expect(fat.get(341)).toBe(0x123);
    expect(fat.bytes[511]).toBe(0x3a);
    expect(fat.takeDirty()).toEqual([0, 1]);
  });
  it('keeps the reserved high bits of FAT32 entries', () => {
    const fat = new FatTable(32, new Uint8Array(512), 512, 100000);
    fat.bytes[4 * 5 + 3] = 0xf0;
    fat.set(5, 0x0fffffff);
    expect(fat.bytes[4 * 5 + 3]).toBe(0xff);
    fat.set(5, 7);
    expect(fat.bytes[4 * 5 + 3]).toBe(0xf0);
    expect(fat.get(5)).toBe(7);
  });
  it('walks chains and stops loops, breaks and strays', () => {
    const fat = new FatTable(16, new Uint8Array(512), 512, 200);
    fat.set(2, 3);
    fat.set(3, 4);
    fat.set(4, fat.endOfChain);
    expect(walkChain(fat, 2)).toEqual({ ok: true, clusters: [2, 3, 4] });
    fat.set(4, 2);
    expect(walkChain(fat, 2)).toMatchObject({ ok: false, problem: 'chain-loop' });
    fat.set(4, 0);
    expect(walkChain(fat, 2)).toMatchObject({ ok: false, problem: 'broken-chain', at: 4 });
    fat.set(4, 5000);
    expect(walkChain(fat, 2)).toMatchObject({ ok: false, problem: 'out-of-range', at: 4 });
    expect(walkChain(fat, 999)).toMatchObject({ ok: false, problem: 'out-of-range' });
  });
});
