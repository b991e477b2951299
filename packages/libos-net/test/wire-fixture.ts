/** Helpers shared by the wire-format tests: hex fixtures and an independent checksum. */

/** Bytes from a hex dump (whitespace ignored), as tcpdump -xx prints them. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) =>
    Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16),
  );
}

/** Independent reference checksum: RFC 1071 §4.1 word by word (not the code under test). */
export function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
