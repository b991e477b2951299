import { CliError } from './cli-error.js';

const SECTOR = 512;
const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * Parses a disk size as given to `libos mkimage --size`: a byte count, or a number with
 * a binary suffix `K`, `M` or `G` (KiB, MiB, GiB; `16M`, `16MiB` and `16m` alike). The
 * result must be a positive multiple of 512 bytes (one sector).
 *
 * @param text The size as typed.
 * @returns The size in bytes.
 * @throws {@link CliError} `usage` when the text is not such a size.
 * @example
 * ```ts
 * import { parseSize } from '@libos/cli';
 * parseSize('16M'); // 16777216
 * parseSize('512K'); // 524288
 * parseSize('1G'); // 1073741824
 * ```
 */
export function parseSize(text: string): number {
  const match = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  const digits = match?.[1];
  const unit = UNITS[(match?.[2] ?? '').toUpperCase()];
  if (digits === undefined || unit === undefined) {
    throw new CliError(
      'usage',
      `bad size ${JSON.stringify(text)}: expected bytes or a number with K, M or G (e.g. 16M)`,
    );
  }
  const bytes = Number(digits) * unit;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % SECTOR !== 0) {
    throw new CliError(
      'usage',
      `bad size ${JSON.stringify(text)}: must be a positive multiple of ${SECTOR} bytes`,
    );
  }
  return bytes;
}

/**
 * Formats a byte count the way sizes are typed (`16M`, `512K`, `1G`), falling back to
 * plain bytes when no binary unit divides it.
 *
 * @param bytes A non-negative byte count.
 * @returns e.g. `16M` for 16777216, `1536` for 1536.
 * @example
 * ```ts
 * import { formatSize } from '@libos/cli';
 * formatSize(16 << 20); // '16M'
 * ```
 */
export function formatSize(bytes: number): string {
  for (const [suffix, unit] of [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}
