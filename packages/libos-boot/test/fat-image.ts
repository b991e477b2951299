/** Test helper: a FAT image in memory holding `files` (path → text). */
import { createFileSystem, formatFat, mountFat, RamDisk } from '@libos/fs';

const clock = { now: () => Date.UTC(2026, 10, 27) };

export async function fatImage(
  bytes: number,
  files: Readonly<Record<string, string>>,
  label = 'TEST',
): Promise<Uint8Array> {
  const disk = new RamDisk({ sectorCount: bytes / 512 });
  await formatFat(disk, { clock, label });
  const volume = await mountFat(disk, { clock });
  const fs = createFileSystem();
  fs.mount('/', volume);
  for (const [path, text] of Object.entries(files)) {
    const dir = path.slice(0, path.lastIndexOf('/'));
    if (dir !== '') await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path, text);
  }
  await fs.unmount('/');
  const image = new Uint8Array(bytes);
  await disk.read(0, image);
  return image;
}
