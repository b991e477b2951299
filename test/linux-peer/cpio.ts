/**
 * A writer for the cpio "newc" format (the one Linux unpacks as an initramfs, see the
 * kernel's Documentation/driver-api/early-userspace/buffer-format.rst): each entry is a
 * 110-byte ASCII header of thirteen 8-digit hex fields, the NUL-terminated name and the
 * data, name and data each padded to 4 bytes; a `TRAILER!!!` entry ends the archive.
 */

/** One member of the archive. */
export type CpioEntry =
  | { readonly kind: 'directory'; readonly path: string; readonly mode?: number }
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly data: Uint8Array;
      readonly mode?: number;
    }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | {
      readonly kind: 'char-device';
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const MAGIC = '070701';
const HEADER_BYTES = 110;
const encoder = new TextEncoder();

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio field ${n}`);
  return n.toString(16).padStart(8, '0');
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/**
 * Serialises `entries` (parents before children; paths without a leading `/`) as a
 * newc archive with every file owned by root and mtime 0, so the same inputs always
 * give the same bytes.
 */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  const add = (
    path: string,
    mode: number,
    data: Uint8Array,
    rdev: { major: number; minor: number } = { major: 0, minor: 0 },
  ): void => {
    if (path.startsWith('/')) throw new Error(`cpio paths are relative: ${path}`);
    const name = encoder.encode(`${path}\0`);
    const fields = [
      ino++,
      mode,
      0, // uid
      0, // gid
      mode & S_IFDIR ? 2 : 1, // nlink
      0, // mtime
      data.length,
      0, // devmajor
      0, // devminor
      rdev.major,
      rdev.minor,
      name.length,
      0, // check (only for the "070702" CRC variant)
    ];
    const header = encoder.encode(MAGIC + fields.map(hex8).join(''));
    parts.push(header, name, new Uint8Array(pad4(HEADER_BYTES + name.length)));
    parts.push(data, new Uint8Array(pad4(data.length)));
  };
  for (const e of entries) {
    switch (e.kind) {
      case 'directory':
        add(e.path, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0));
        break;
      case 'file':
        add(e.path, S_IFREG | (e.mode ?? 0o644), e.data);
        break;
      case 'symlink':
        add(e.path, S_IFLNK | 0o777, encoder.encode(e.target));
        break;
      case 'char-device':
        add(e.path, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(0), e);
        break;
    }
  }
  ino = 0;
  add('TRAILER!!!', 0, new Uint8Array(0));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
