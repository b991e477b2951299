/**
 * Real peers for the partition code: util-linux `sfdisk` and GPT fdisk `sgdisk` read the
 * tables we write, and we read the tables `sfdisk` writes. Images are plain files in a
 * temporary directory. Locally the tests skip when a tool is missing; in CI they fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GPT_TYPE,
  type GptPartition,
  type MbrPartition,
  RamDisk,
  readPartitionTable,
  writeGpt,
  writeMbr,
} from '@libos/fs';
import { afterAll, describe, expect, it } from 'vitest';

const required = process.env.CI === 'true';
const has = (tool: string) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
const tools = { sfdisk: has('sfdisk'), sgdisk: has('sgdisk') };
if (required && (!tools.sfdisk || !tools.sgdisk)) {
  throw new Error('CI needs sfdisk (util-linux / fdisk) and sgdisk (gdisk) for these tests');
}
const missing = !tools.sfdisk || !tools.sgdisk;

const dir = mkdtempSync(join(tmpdir(), 'libos-block-peers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;

/** A zeroed image file of `sectors` 512-byte sectors. */
function image(sectors: number): string {
  const path = join(dir, `disk${serial++}.img`);
  writeFileSync(path, new Uint8Array(sectors * 512));
  return path;
}

function run(tool: string, args: string[], input?: string): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', input, timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  bootable?: boolean;
  uuid?: string;
  name?: string;
  attrs?: string;
}
interface SfdiskTable {
  label: string;
  id: string;
  partitions?: SfdiskPartition[];
}

function sfdiskJson(path: string): SfdiskTable {
  return (JSON.parse(run('sfdisk', ['--json', path])) as { partitiontable: SfdiskTable })
    .partitiontable;
}

function sfdiskWrite(path: string, script: string): void {
  run('sfdisk', ['--no-reread', '--no-tell-kernel', '--quiet', path], script);
}

const diskOf = (path: string) => new RamDisk({ contents: new Uint8Array(readFileSync(path)) });
const save = (path: string, disk: RamDisk) => writeFileSync(path, disk.contents);
const partNumber = (node: string) => Number(/(\d+)$/.exec(node)![1]);

describe.skipIf(missing && !required)('partition tables against sfdisk and sgdisk', () => {
  it('sfdisk and sgdisk read the MBR we write', async () => {
    const path = image(16384);
    const disk = diskOf(path);
    await writeMbr(
      disk,
      [
        { start: 2048, size: 4096, type: 0x0c, bootable: true },
        { start: 6144, size: 2048, type: 0x83 },
        { start: 10000, size: 6000, type: 0x82 },
      ],
      { diskSignature: 0x5eed1234 },
    );
    save(path, disk);
    const t = sfdiskJson(path);
    expect(t.label).toBe('dos');
    expect(t.id).toBe('0x5eed1234');
    expect(t.partitions).toEqual([
      { node: `${path}1`, start: 2048, size: 4096, type: 'c', bootable: true },
      { node: `${path}2`, start: 6144, size: 2048, type: '83' },
      { node: `${path}3`, start: 10000, size: 6000, type: '82' },
    ]);
    expect(run('sgdisk', ['-v', path])).toContain('No problems found');
  });

  it('sfdisk and sgdisk read the logical partitions we write', async () => {
    const path = image(32768);
    const disk = diskOf(path);
    await writeMbr(
      disk,
      [
        { start: 2048, size: 2048, type: 0x83 },
        { start: 8192, size: 1000, type: 0x83, logical: true },
        { start: 12288, size: 2000, type: 0x82, logical: true },
        { start: 16384, size: 1500, type: 0x07, logical: true },
      ],
      { diskSignature: 0x0badcafe, extended: { start: 6144, size: 26624 } },
    );
    save(path, disk);
    const t = sfdiskJson(path);
    expect(t.partitions).toEqual([
      { node: `${path}1`, start: 2048, size: 2048, type: '83' },
      { node: `${path}2`, start: 6144, size: 26624, type: '5' },
      { node: `${path}5`, start: 8192, size: 1000, type: '83' },
      { node: `${path}6`, start: 12288, size: 2000, type: '82' },
      { node: `${path}7`, start: 16384, size: 1500, type: '7' },
    ]);
    expect(run('sgdisk', ['-v', path])).toContain('No problems found');
  });

  it('sfdisk and sgdisk read the GPT we write (types, GUIDs, names, attributes)', async () => {
    const path = image(20480);
    const disk = diskOf(path);
    const parts = [
      {
        start: 2048,
        size: 4096,
        type: GPT_TYPE.efiSystem,
        guid: '2F1A9C3E-5B7D-4E60-8A2B-C4D6E8F0A1B3',
        name: 'EFI system',
      },
      {
        start: 6144,
        size: 8192,
        type: GPT_TYPE.linuxFilesystem,
        guid: '7A6B5C4D-3E2F-4A1B-9C8D-7E6F5A4B3C2D',
        name: 'données ☃',
        attributes: 1n << 60n,
      },
      {
        start: 14336,
        size: 2048,
        type: GPT_TYPE.basicData,
        guid: '0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9',
      },
    ];
    await writeGpt(disk, parts, { diskGuid: 'D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6' });
    save(path, disk);
    const t = sfdiskJson(path);
    expect(t.label).toBe('gpt');
    expect(t.id).toBe('D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6');
    expect(t.partitions).toEqual([
      {
        node: `${path}1`,
        start: 2048,
        size: 4096,
        type: parts[0]!.type,
        uuid: parts[0]!.guid,
        name: 'EFI system',
      },
      {
        node: `${path}2`,
        start: 6144,
        size: 8192,
        type: parts[1]!.type,
        uuid: parts[1]!.guid,
        name: 'données ☃',
        attrs: 'GUID:60',
      },
      { node: `${path}3`, start: 14336, size: 2048, type: parts[2]!.type, uuid: parts[2]!.guid },
    ]);
    const verify = run('sgdisk', ['-v', path]);
    expect(verify).toContain('No problems found');
    expect(verify).not.toMatch(/CRC|corrupt|mismatch|ERROR/i);
  });

  it('sgdisk notices when we damage the primary header (the peer can fail), and we use the backup', async () => {
    const path = image(8192);
    const disk = diskOf(path);
    await writeGpt(
      disk,
      [
        {
          start: 2048,
          size: 2048,
          type: GPT_TYPE.linuxSwap,
          guid: '11111111-2222-4333-8444-555555555555',
        },
      ],
      { diskGuid: '99999999-8888-4777-8666-555555555555' },
    );
    disk.contents[512 + 16] = disk.contents[512 + 16]! ^ 0xff; // primary HeaderCRC32
    save(path, disk);
    const verify = spawnSync('sgdisk', ['-v', path], { encoding: 'utf8' });
    const said = `${verify.stdout}${verify.stderr}`;
    expect(said).toMatch(/Main header: ERROR/);
    expect(said).toMatch(/Backup header: OK/);
    const t = await readPartitionTable(disk);
    expect(t.gptCopy).toBe('backup');
    expect(t.partitions.map((p) => [p.start, p.size])).toEqual([[2048, 2048]]);
  });

  it('reads an MBR with logical partitions made by sfdisk exactly', async () => {
    const path = image(32768);
    sfdiskWrite(
      path,
      [
        'label: dos',
        'label-id: 0x0badcafe',
        'start=2048, size=2048, type=c, bootable',
        'start=4096, size=2048, type=83',
        'start=6144, type=5',
        'start=8192, size=1000, type=83',
        'size=2000, type=82',
        'size=1500, type=7',
        '',
      ].join('\n'),
    );
    const want = sfdiskJson(path);
    const t = await readPartitionTable(diskOf(path));
    expect(t.scheme).toBe('mbr');
    expect(t.diskId).toBe(want.id);
    expect(want.partitions).toHaveLength(6);
    expect(
      t.partitions.map((p) => {
        const m = p as MbrPartition;
        return {
          number: m.number,
          start: m.start,
          size: m.size,
          type: m.type.toString(16),
          bootable: m.bootable,
        };
      }),
    ).toEqual(
      want.partitions!.map((p) => ({
        number: partNumber(p.node),
        start: p.start,
        size: p.size,
        type: p.type,
        bootable: p.bootable === true,
      })),
    );
  });

  it('reads a GPT made by sfdisk exactly (start, size, type, GUID, name), also from its backup', async () => {
    const path = image(16384);
    sfdiskWrite(
      path,
      [
        'label: gpt',
        'label-id: 8E5F2A61-3C4B-4D7E-9F10-A1B2C3D4E5F6',
        `start=2048, size=2048, type=${GPT_TYPE.efiSystem}, uuid=11111111-2222-4333-8444-555555555555, name="EFI system"`,
        `start=4096, size=4096, type=${GPT_TYPE.linuxFilesystem}, uuid=66666666-7777-4888-9999-AAAAAAAAAAAA, name="données", attrs="GUID:60"`,
        `start=10000, size=100, type=${GPT_TYPE.basicData}, uuid=0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9`,
        '',
      ].join('\n'),
    );
    const want = sfdiskJson(path);
    const disk = diskOf(path);
    const project = (ps: readonly unknown[]) =>
      (ps as GptPartition[]).map((p) => ({
        number: p.number,
        start: p.start,
        size: p.size,
        type: p.type,
        uuid: p.guid,
        name: p.name,
        attrs: p.attributes === 0n ? undefined : `GUID:${p.attributes.toString(2).length - 1}`,
      }));
    const expected = want.partitions!.map((p) => ({
      number: partNumber(p.node),
      start: p.start,
      size: p.size,
      type: p.type,
      uuid: p.uuid,
      name: p.name ?? '',
      attrs: p.attrs,
    }));
    const t = await readPartitionTable(disk);
    expect(t.diskId).toBe(want.id);
    expect(t.gptCopy).toBe('primary');
    expect(t.damage).toEqual([]);
    expect(project(t.partitions)).toEqual(expected);
    // Wipe the primary header: the backup sfdisk wrote gives the same answer.
    disk.contents.fill(0, 512, 1024);
    const fromBackup = await readPartitionTable(disk);
    expect(fromBackup.gptCopy).toBe('backup');
    expect(fromBackup.damage[0]).toMatchObject({ copy: 'primary', kind: 'bad-header' });
    expect(project(fromBackup.partitions)).toEqual(expected);
  });
});
