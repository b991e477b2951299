/** `0x00001000`. */
export function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** `16 MiB`, `64 KiB`, `1000 B`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
