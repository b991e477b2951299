/**
 * Walking the IPv4 options area (RFC 791 §3.1 "Options") to tell well-formed from
 * malformed. The stack implements no option; it only needs to skip them safely.
 */

/** RFC 791 §3.1: End of Option List, a single byte; what follows is padding. */
const OPTION_END_OF_LIST = 0;
/** RFC 791 §3.1: No Operation, a single byte. */
const OPTION_NO_OPERATION = 1;

/**
 * Whether an IPv4 options area is well formed: a sequence of single-byte End of Option
 * List / No Operation options and type-length-value options whose length byte (which
 * counts the type and length bytes) is at least 2 and stays within the area. Parsing
 * stops at End of Option List (RFC 791 §3.1: the rest is padding). An empty area is
 * well formed.
 *
 * @param options The options area, e.g. {@link Ipv4Packet.options}.
 * @example
 * ```ts
 * import { ipv4OptionsWellFormed } from '@libos/net';
 * ipv4OptionsWellFormed(new Uint8Array([0x01, 0x94, 0x04, 0x00, 0x00, 0x00])); // false: runs past the end
 * ipv4OptionsWellFormed(new Uint8Array([0x94, 0x04, 0x00, 0x00])); // true: Router Alert (RFC 2113)
 * ```
 */
export function ipv4OptionsWellFormed(options: Uint8Array): boolean {
  const length = options.length;
  let i = 0;
  // Each step advances by at least one byte, so the loop runs at most `length` times.
  while (i < length) {
    const type = options[i]!;
    if (type === OPTION_END_OF_LIST) return true;
    if (type === OPTION_NO_OPERATION) {
      i += 1;
      continue;
    }
    if (i + 1 >= length) return false;
    const optionLength = options[i + 1]!;
    if (optionLength < 2 || i + optionLength > length) return false;
    i += optionLength;
  }
  return true;
}
