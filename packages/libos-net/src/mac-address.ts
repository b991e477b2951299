/**
 * Ethernet (IEEE 802) MAC address helpers over 6-byte `Uint8Array`s.
 */

/**
 * Thrown when text does not parse as a MAC address.
 *
 * @example
 * ```ts
 * import { MacAddressError, parseMacAddress } from '@libos/net';
 * try { parseMacAddress('nope'); } catch (e) { if (e instanceof MacAddressError) console.log(e.code); }
 * ```
 */
export class MacAddressError extends Error {
  /** Stable error code. */
  readonly code = 'EINVAL' as const;
  /** @param text The text that failed to parse. */
  constructor(readonly text: string) {
    super(`not a MAC address: ${JSON.stringify(text)}`);
    this.name = 'MacAddressError';
  }
}

const MAC_PATTERN =
  /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;

/**
 * Parses `aa:bb:cc:dd:ee:ff` (or with `-` separators, any case) into 6 bytes.
 *
 * @throws {@link MacAddressError} on anything else.
 * @example
 * ```ts
 * import { parseMacAddress } from '@libos/net';
 * parseMacAddress('52:54:00:12:34:56'); // Uint8Array [0x52, 0x54, 0, 0x12, 0x34, 0x56]
 * ```
 */
export function parseMacAddress(text: string): Uint8Array {
  const m = MAC_PATTERN.exec(text);
  if (!m) throw new MacAddressError(text);
  const bytes = new Uint8Array(6);
  const groups = [m[1], m[3], m[4], m[5], m[6], m[7]];
  for (let i = 0; i < 6; i++) bytes[i] = Number.parseInt(groups[i]!, 16);
  return bytes;
}

/**
 * Formats 6 bytes as lower-case `aa:bb:cc:dd:ee:ff`.
 *
 * @throws RangeError unless `mac` has exactly 6 bytes.
 * @example
 * ```ts
 * import { formatMacAddress } from '@libos/net';
 * formatMacAddress(new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56])); // '52:54:00:12:34:56'
 * ```
 */
export function formatMacAddress(mac: Uint8Array): string {
  if (mac.length !== 6) throw new RangeError(`a MAC address has 6 bytes, not ${mac.length}`);
  let out = '';
  for (let i = 0; i < 6; i++) out += (i ? ':' : '') + mac[i]!.toString(16).padStart(2, '0');
  return out;
}

/**
 * Whether the address is a group (multicast or broadcast) address: the I/G bit, the
 * least significant bit of the first octet, is set (IEEE 802-2014 §8.2).
 *
 * @example
 * ```ts
 * import { isMulticastMac, parseMacAddress } from '@libos/net';
 * isMulticastMac(parseMacAddress('01:00:5e:00:00:01')); // true
 * ```
 */
export function isMulticastMac(mac: Uint8Array): boolean {
  return ((mac[0] ?? 0) & 0x01) === 1;
}

/**
 * Whether the address is ff:ff:ff:ff:ff:ff.
 *
 * @example
 * ```ts
 * import { isBroadcastMac, parseMacAddress } from '@libos/net';
 * isBroadcastMac(parseMacAddress('ff:ff:ff:ff:ff:ff')); // true
 * ```
 */
export function isBroadcastMac(mac: Uint8Array): boolean {
  if (mac.length !== 6) return false;
  for (let i = 0; i < 6; i++) if (mac[i] !== 0xff) return false;
  return true;
}

/**
 * Whether the address is locally administered: the U/L bit, the second least
 * significant bit of the first octet, is set (IEEE 802-2014 §8.2). Generated guest
 * addresses should be locally administered unicast.
 *
 * @example
 * ```ts
 * import { isLocallyAdministeredMac, parseMacAddress } from '@libos/net';
 * isLocallyAdministeredMac(parseMacAddress('02:00:00:00:00:01')); // true
 * ```
 */
export function isLocallyAdministeredMac(mac: Uint8Array): boolean {
  return ((mac[0] ?? 0) & 0x02) === 2;
}
