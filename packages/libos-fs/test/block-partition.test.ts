import {
  crc32,
  GPT_TYPE,
  gptUsableRange,
  openPartition,
  PartitionDevice,
  PartitionTableError,
  RamDisk,
  readGuid,
  readPartitionTable,
  writeGpt,
  writeGuid,
  writeMbr,
} from '@libos/fs';
import { describeBlockDevice } from '@libos/fs/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const S = 512;
const DISK_GUID = '8E5F2A61-3C4B-4D7E-9F10-A1B2C3D4E5F6';
const guid = (n: number) =>
  `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`.toUpperCase();

async function kind(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof PartitionTableError ? e.kind : `other: ${String(e)}`;
  }
}

describeBlockDevice('PartitionDevice (sectors 100..227 of a 512-sector disk)', {
  create: async () => ({
    device: new PartitionDevice(new RamDisk({ sectorCount: 512 }), 100, 128),
  }),
  createReadOnly: async () => ({
    device: new PartitionDevice(new RamDisk({ sectorCount: 512 }), 100, 128, true),
  }),
});

describe('CRC32 and GUIDs', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('stores GUIDs mixed-endian (UEFI Appendix A) and reads them back upper-case', () => {
    const b = new Uint8Array(16);
    writeGuid('c12a7328-f81f-11d2-ba4b-00a0c93ec93b', b, 0);
    // The ESP type GUID as it appears on disk.
    expect(Array.from(b)).toEqual([
      0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9,
      0x3b,
    ]);
    expect(readGuid(b, 0)).toBe(GPT_TYPE.efiSystem);
    expect(() => writeGuid('not-a-guid', b, 0)).toThrow(PartitionTableError);
  });

  it('round-trips any GUID', () => {
    fc.assert(
      fc.property(fc.uuid(), (u) => {
        const b = new Uint8Array(20);
        writeGuid(u, b, 2);
        expect(readGuid(b, 2)).toBe(u.toUpperCase());
      }),
    );
  });
});

describe('PartitionDevice', () => {
  it('maps sectors and refuses requests outside the range', async () => {
    const disk = new RamDisk({ sectorCount: 64 });
    const part = openPartition(disk, { start: 10, size: 5 });
    expect(part.sectorCount).toBe(5);
    await part.write(4, new Uint8Array(S).fill(3));
    expect(disk.contents[14 * S]).toBe(3);
    await expect(part.write(5, new Uint8Array(S))).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(part.read(3, new Uint8Array(3 * S))).rejects.toMatchObject({ code: 'EINVAL' });
    await part.discard!(0, 5);
    await expect(part.discard!(1, 5)).rejects.toMatchObject({ code: 'EINVAL' });
    expect(disk.contents[14 * S]).toBe(0);
    expect(() => openPartition(disk, { start: 60, size: 5 })).toThrow();
    expect(openPartition(disk, { start: 0, size: 1 }, { readOnly: true }).readOnly).toBe(true);
  });
});

describe('MBR', () => {
  it('writes and reads back primary partitions', async () => {
    const disk = new RamDisk({ sectorCount: 8192 });
    await writeMbr(
      disk,
      [
        { start: 2048, size: 2048, type: 0x0c, bootable: true },
        { start: 4096, size: 4096, type: 0x83 },
      ],
      { diskSignature: 0xdeadbeef },
    );
    expect(disk.contents[510]).toBe(0x55);
    expect(disk.contents[511]).toBe(0xaa);
    const t = await readPartitionTable(disk);
    expect(t.scheme).toBe('mbr');
    expect(t.diskId).toBe('0xdeadbeef');
    expect(t.partitions).toEqual([
      {
        scheme: 'mbr',
        number: 1,
        start: 2048,
        size: 2048,
        type: 0x0c,
        bootable: true,
        kind: 'primary',
      },
      {
        scheme: 'mbr',
        number: 2,
        start: 4096,
        size: 4096,
        type: 0x83,
        bootable: false,
        kind: 'primary',
      },
    ]);
  });

  it('emits partition records byte for byte as sfdisk does (CHS on 255 heads × 63 sectors)', async () => {
    const disk = new RamDisk({ sectorCount: 16384 });
    await writeMbr(disk, [{ start: 2048, size: 2048, type: 0x0c, bootable: true }]);
    // Record 1 as util-linux sfdisk 2.38 wrote it for `start=2048, size=2048, type=c, bootable`.
    expect(Array.from(disk.contents.subarray(446, 462))).toEqual([
      0x80, 0x20, 0x21, 0x00, 0x0c, 0x41, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x00,
      0x00,
    ]);
    expect(disk.contents.subarray(462, 510).every((b) => b === 0)).toBe(true);
  });

  it('keeps the boot code and refuses bad layouts before writing', async () => {
    const disk = new RamDisk({ sectorCount: 1000 });
    disk.contents.fill(0x90, 0, 440);
    expect(await kind(writeMbr(disk, [{ start: 1, size: 1000, type: 0x83 }]))).toBe('beyond-end');
    expect(
      await kind(
        writeMbr(disk, [
          { start: 10, size: 100, type: 0x83 },
          { start: 100, size: 10, type: 0x83 },
        ]),
      ),
    ).toBe('overlap');
    expect(await kind(writeMbr(disk, [{ start: 10, size: 0, type: 0x83 }]))).toBe('bad-extent');
    expect(await kind(writeMbr(disk, [{ start: 10, size: 10, type: 0x05 }]))).toBe('unsupported');
    const five = Array.from({ length: 5 }, (_, i) => ({
      start: 10 + i * 10,
      size: 10,
      type: 0x83,
    }));
    expect(await kind(writeMbr(disk, five))).toBe('unsupported');
    expect(disk.contents[510]).toBe(0); // nothing written yet
    await writeMbr(disk, [{ start: 63, size: 900, type: 0x83 }]);
    expect(disk.contents.subarray(0, 440).every((b) => b === 0x90)).toBe(true);
  });

  it('writes an extended partition with logical partitions and reads them back', async () => {
    const disk = new RamDisk({ sectorCount: 20000 });
    await writeMbr(
      disk,
      [
        { start: 2048, size: 2048, type: 0x0c },
        { start: 6145, size: 1000, type: 0x83, logical: true },
        { start: 8192, size: 2000, type: 0x82, logical: true },
        { start: 12000, size: 100, type: 0x07, logical: true, bootable: true },
      ],
      { extended: { start: 6144, size: 8000 } },
    );
    const t = await readPartitionTable(disk);
    expect(
      t.partitions.map((p) => [
        p.number,
        p.start,
        p.size,
        p.scheme === 'mbr' && p.kind,
        p.scheme === 'mbr' && p.type,
      ]),
    ).toEqual([
      [1, 2048, 2048, 'primary', 0x0c],
      [2, 6144, 8000, 'extended', 0x05],
      [5, 6145, 1000, 'logical', 0x83],
      [6, 8192, 2000, 'logical', 0x82],
      [7, 12000, 100, 'logical', 0x07],
    ]);
    expect((t.partitions[4] as { bootable: boolean }).bootable).toBe(true);
  });

  it('refuses logical partitions without an extended partition, out of order, or without room for an EBR', async () => {
    const disk = new RamDisk({ sectorCount: 20000 });
    const ext = { extended: { start: 6144, size: 8000 } };
    const l = (start: number, size: number) => ({ start, size, type: 0x83, logical: true });
    expect(await kind(writeMbr(disk, [l(6145, 10)]))).toBe('unsupported');
    expect(await kind(writeMbr(disk, [l(6144, 10)], ext))).toBe('beyond-end'); // on the first EBR
    expect(await kind(writeMbr(disk, [l(6145, 10), l(6155, 10)], ext))).toBe('unsupported'); // no EBR gap
    expect(await kind(writeMbr(disk, [l(7000, 10), l(6200, 10)], ext))).toBe('unsupported'); // order
    expect(await kind(writeMbr(disk, [l(14000, 1000)], ext))).toBe('beyond-end');
    const four = Array.from({ length: 4 }, (_, i) => ({
      start: 100 + i * 10,
      size: 10,
      type: 0x83,
    }));
    expect(await kind(writeMbr(disk, four, ext))).toBe('unsupported');
    expect(
      await kind(writeMbr(disk, [], { extended: { start: 6144, size: 10, type: 0x83 } })),
    ).toBe('unsupported');
    expect(disk.contents.every((b) => b === 0)).toBe(true);
  });

  it('reports no table on a blank disk', async () => {
    const t = await readPartitionTable(new RamDisk({ sectorCount: 64 }));
    expect(t).toEqual({ scheme: 'none', partitions: [], diskId: null, gptCopy: null, damage: [] });
  });

  /** Builds an MBR with an extended partition at 100 (size 800) and EBRs as given. */
  function extendedDisk(ebrs: { at: number; logical?: [number, number]; next?: number }[]) {
    const disk = new RamDisk({ sectorCount: 1024 });
    const c = disk.contents;
    const rec = (sector: number, i: number, type: number, start: number, size: number) => {
      const at = sector * S + 446 + 16 * i;
      c[at + 4] = type;
      new DataView(c.buffer).setUint32(at + 8, start, true);
      new DataView(c.buffer).setUint32(at + 12, size, true);
    };
    const sig = (sector: number) => {
      c[sector * S + 510] = 0x55;
      c[sector * S + 511] = 0xaa;
    };
    sig(0);
    rec(0, 0, 0x83, 10, 80);
    rec(0, 1, 0x05, 100, 800);
    for (const e of ebrs) {
      sig(e.at);
      if (e.logical) rec(e.at, 0, 0x83, e.logical[0], e.logical[1]);
      if (e.next !== undefined) rec(e.at, 1, 0x05, e.next - 100, 10);
    }
    return disk;
  }

  it('follows the extended partition chain to the logical partitions', async () => {
    const disk = extendedDisk([
      { at: 100, logical: [2, 98], next: 300 },
      { at: 300, logical: [1, 50], next: 500 },
      { at: 500, logical: [4, 100] },
    ]);
    const t = await readPartitionTable(disk);
    expect(
      t.partitions.map((p) => [p.number, p.start, p.size, p.scheme === 'mbr' && p.kind]),
    ).toEqual([
      [1, 10, 80, 'primary'],
      [2, 100, 800, 'extended'],
      [5, 102, 98, 'logical'],
      [6, 301, 50, 'logical'],
      [7, 504, 100, 'logical'],
    ]);
  });

  it('stops an EBR chain that loops', async () => {
    const loop = extendedDisk([
      { at: 100, logical: [2, 50], next: 300 },
      { at: 300, logical: [2, 50], next: 100 },
    ]);
    expect(await kind(readPartitionTable(loop))).toBe('ebr-loop');
    const self = extendedDisk([{ at: 100, logical: [2, 50], next: 100 }]);
    expect(await kind(readPartitionTable(self))).toBe('ebr-loop');
  });

  it('never throws anything but typed errors on random and mutated MBR/EBR sectors', async () => {
    const pristine = extendedDisk([
      { at: 100, logical: [2, 98], next: 300 },
      { at: 300, logical: [1, 50], next: 500 },
      { at: 500, logical: [4, 100] },
    ]).contents;
    const where = fc.constantFrom(0, 100, 300, 500);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ sector: where, at: fc.integer({ min: 440, max: 511 }), value: fc.nat(255) }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        async (mutations) => {
          const c = pristine.slice();
          for (const m of mutations) c[m.sector * S + m.at] = m.value;
          const r = await kind(readPartitionTable(new RamDisk({ contents: c })));
          expect(r.startsWith('other')).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects logical partitions outside the extended partition and overlapping primaries', async () => {
    expect(await kind(readPartitionTable(extendedDisk([{ at: 100, logical: [2, 900] }])))).toBe(
      'beyond-end',
    );
    const disk = extendedDisk([]);
    new DataView(disk.contents.buffer).setUint32(446 + 16 + 8, 50, true); // extended now at 50
    expect(await kind(readPartitionTable(disk))).toBe('overlap');
  });
});

describe('GPT', () => {
  const parts = [
    { start: 2048, size: 2048, type: GPT_TYPE.efiSystem, guid: guid(1), name: 'EFI system' },
    {
      start: 4096,
      size: 3000,
      type: GPT_TYPE.linuxFilesystem,
      guid: guid(2),
      name: 'données ☃',
      attributes: 1n << 60n,
    },
  ];

  async function gptDisk(sectorSize = 512, sectorCount = 8192) {
    const disk = new RamDisk({ sectorSize, sectorCount });
    await writeGpt(disk, parts, { diskGuid: DISK_GUID });
    return disk;
  }

  it('writes and reads back partitions, names, attributes and GUIDs', async () => {
    const disk = await gptDisk();
    const t = await readPartitionTable(disk);
    expect(t.scheme).toBe('gpt');
    expect(t.diskId).toBe(DISK_GUID);
    expect(t.gptCopy).toBe('primary');
    expect(t.damage).toEqual([]);
    expect(t.partitions).toEqual([
      { scheme: 'gpt', number: 1, attributes: 0n, ...parts[0] },
      { scheme: 'gpt', number: 2, ...parts[1] },
    ]);
    // Protective MBR: one 0xEE record from LBA 1 over the rest of the disk.
    expect(disk.contents[446 + 4]).toBe(0xee);
    expect(new DataView(disk.contents.buffer).getUint32(446 + 8, true)).toBe(1);
    expect(new DataView(disk.contents.buffer).getUint32(446 + 12, true)).toBe(8191);
    expect(new TextDecoder().decode(disk.contents.subarray(S, S + 8))).toBe('EFI PART');
    expect(new TextDecoder().decode(disk.contents.subarray(8191 * S, 8191 * S + 8))).toBe(
      'EFI PART',
    );
  });

  it('emits the protective MBR record of UEFI 2.x §5.2.3', async () => {
    const disk = await gptDisk();
    // Boot 0, StartingCHS 00 02 00, type EE, EndingCHS of LBA 8191 (head 130, sector 2,
    // cylinder 0), StartingLBA 1, SizeInLBA 8191.
    expect(Array.from(disk.contents.subarray(446, 462))).toEqual([
      0x00, 0x00, 0x02, 0x00, 0xee, 0x82, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0x1f, 0x00,
      0x00,
    ]);
    // The primary header's fixed fields (§5.3.2): signature, revision 1.0, size 92, MyLBA 1,
    // AlternateLBA 8191, FirstUsableLBA 34, LastUsableLBA 8158, entries at LBA 2, 128 × 128.
    const h = disk.contents.subarray(S, S + 92);
    const dv = new DataView(h.buffer, h.byteOffset, 92);
    expect(new TextDecoder().decode(h.subarray(0, 8))).toBe('EFI PART');
    expect([dv.getUint32(8, true), dv.getUint32(12, true), dv.getUint32(20, true)]).toEqual([
      0x00010000, 92, 0,
    ]);
    expect([24, 32, 40, 48, 72].map((o) => Number(dv.getBigUint64(o, true)))).toEqual([
      1, 8191, 34, 8158, 2,
    ]);
    expect([dv.getUint32(80, true), dv.getUint32(84, true)]).toEqual([128, 128]);
    expect(dv.getUint32(88, true)).toBe(crc32(disk.contents.subarray(2 * S, 2 * S + 128 * 128)));
  });

  it('works with 4096-byte sectors', async () => {
    const disk = new RamDisk({ sectorSize: 4096, sectorCount: 2048 });
    expect(gptUsableRange(4096, 2048)).toEqual({ first: 6, last: 2042 });
    await writeGpt(disk, [{ ...parts[0]!, start: 256, size: 256 }], { diskGuid: DISK_GUID });
    const t = await readPartitionTable(disk);
    expect(t.partitions.map((p) => [p.start, p.size])).toEqual([[256, 256]]);
  });

  it('falls back to the backup when the primary header CRC is wrong, and says so', async () => {
    const disk = await gptDisk();
    disk.contents[S + 16] = disk.contents[S + 16]! ^ 0xff; // HeaderCRC32
    const t = await readPartitionTable(disk);
    expect(t.gptCopy).toBe('backup');
    expect(t.damage).toEqual([{ copy: 'primary', kind: 'bad-crc', message: expect.any(String) }]);
    expect(t.partitions.map((p) => p.start)).toEqual([2048, 4096]);
  });

  it('falls back to the backup when the primary entry array is damaged', async () => {
    const disk = await gptDisk();
    disk.contents[2 * S + 40] = disk.contents[2 * S + 40]! ^ 1; // first entry's EndingLBA
    const t = await readPartitionTable(disk);
    expect(t.gptCopy).toBe('backup');
    expect(t.damage[0]).toMatchObject({ copy: 'primary', kind: 'bad-crc' });
    expect(t.partitions[0]!.size).toBe(2048);
  });

  it('reports a damaged backup while using the primary', async () => {
    const disk = await gptDisk();
    disk.contents.fill(0, 8191 * S, 8192 * S);
    const t = await readPartitionTable(disk);
    expect(t.gptCopy).toBe('primary');
    expect(t.damage).toEqual([{ copy: 'backup', kind: 'bad-header', message: expect.any(String) }]);
  });

  it('fails with the primary problem when both copies are damaged', async () => {
    const disk = await gptDisk();
    disk.contents[S + 16] = disk.contents[S + 16]! ^ 0xff;
    disk.contents[8191 * S + 16] = disk.contents[8191 * S + 16]! ^ 0xff;
    expect(await kind(readPartitionTable(disk))).toBe('bad-crc');
  });

  it('refuses bad partitions before writing anything', async () => {
    const disk = new RamDisk({ sectorCount: 8192 });
    const base = parts[0]!;
    const cases: [unknown[], string][] = [
      [[{ ...base, start: 10 }], 'beyond-end'],
      [[{ ...base, start: 8000, size: 200 }], 'beyond-end'],
      [[base, { ...parts[1]!, start: 3000 }], 'overlap'],
      [[base, { ...parts[1]!, guid: guid(1) }], 'bad-guid'],
      [[{ ...base, type: 'x' }], 'bad-guid'],
      [[{ ...base, name: 'n'.repeat(37) }], 'unsupported'],
    ];
    for (const [p, k] of cases) {
      expect(await kind(writeGpt(disk, p as typeof parts, { diskGuid: DISK_GUID }))).toBe(k);
    }
    expect(await kind(writeGpt(disk, [], { diskGuid: 'nope' }))).toBe('bad-guid');
    expect(await kind(writeGpt(disk, [], { diskGuid: DISK_GUID, entryCount: 3 }))).toBe(
      'unsupported',
    );
    expect(disk.contents.every((b) => b === 0)).toBe(true);
  });

  it('rejects a table whose partitions overlap even with valid CRCs', async () => {
    // Write a good table, then patch entry 2 to overlap entry 1 and fix both CRCs.
    const disk = await gptDisk();
    const c = disk.contents;
    const dv = new DataView(c.buffer);
    const fix = (headerLba: number) => {
      const entryLba = Number(dv.getBigUint64(headerLba * S + 72, true));
      dv.setUint32(entryLba * S + 128 + 32, 3000, true); // entry 2 StartingLBA
      dv.setUint32(
        headerLba * S + 88,
        crc32(c.subarray(entryLba * S, entryLba * S + 128 * 128)),
        true,
      );
      dv.setUint32(headerLba * S + 16, 0, true);
      dv.setUint32(headerLba * S + 16, crc32(c.subarray(headerLba * S, headerLba * S + 92)), true);
    };
    fix(1);
    fix(8191);
    expect(await kind(readPartitionTable(disk))).toBe('overlap');
  });

  it('never throws anything but typed errors on mutated tables', async () => {
    const pristine = (await gptDisk()).contents;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(34 * S - 1), value: fc.nat(255) }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (mutations) => {
          const c = pristine.slice();
          for (const m of mutations) c[m.at] = m.value;
          // Also damage the backup the same way, so both copies are hit.
          for (const m of mutations) if (m.at >= S) c[8192 * S - 34 * S + m.at] = m.value;
          const r = await kind(readPartitionTable(new RamDisk({ contents: c })));
          expect(r.startsWith('other')).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
