/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4): reading with compression
 * pointers under loop and bounds protection, writing without compression.
 *
 * Names are presentation strings without the trailing dot (`''` is the root). Label
 * bytes outside printable ASCII, and `.` or `\` inside a label, are written as `\DDD`
 * (RFC 4343 §2.1) so that every wire name has exactly one string form.
 */

import { DnsError } from './dns-error.js';

/** RFC 1035 §2.3.4: a name is at most 255 octets on the wire. */
const MAX_NAME_LENGTH = 255;
/** RFC 1035 §2.3.4: a label is at most 63 octets. */
const MAX_LABEL_LENGTH = 63;
/** Compression pointers followed per name; each must point strictly backwards anyway. */
const MAX_POINTER_HOPS = 127;

/**
 * Why a name could not be read: it runs past the message (`truncated`), or it is
 * malformed (`bad-name`: reserved label type, a pointer that does not point strictly
 * before the labels already read, too many pointers, or longer than 255 octets).
 *
 * @example
 * ```ts
 * import type { DnsNameIssue } from '@libos/net';
 * const issue: DnsNameIssue = 'bad-name';
 * ```
 */
export type DnsNameIssue = 'truncated' | 'bad-name';

/**
 * A name read from a message, and the offset just after it where it started (after
 * its first compression pointer, if any).
 *
 * @example
 * ```ts
 * import { readDnsName } from '@libos/net';
 * const read = readDnsName(message, 12);
 * if (typeof read !== 'string') console.log(read.name, read.end);
 * ```
 */
export interface DnsNameRead {
  /** The name in presentation form, without the trailing dot. */
  readonly name: string;
  /** Offset of the first byte after the name in the message. */
  readonly end: number;
}

function appendLabel(out: string, bytes: Uint8Array, start: number, length: number): string {
  let label = '';
  for (let i = start; i < start + length; i++) {
    const b = bytes[i]!;
    // RFC 4343 §2.1: escape non-printables and the two special characters.
    if (b <= 0x20 || b >= 0x7f || b === 0x2e || b === 0x5c) {
      label += `\\${b.toString().padStart(3, '0')}`;
    } else {
      label += String.fromCharCode(b);
    }
  }
  return out.length === 0 ? label : `${out}.${label}`;
}

/**
 * Reads the (possibly compressed) name at `offset` of `message`. Every compression
 * pointer must point strictly before the start of the labels read so far, so a
 * pointer loop cannot occur; hops and the 255-octet length are bounded too.
 *
 * @param message The whole DNS message (pointers are offsets into it).
 * @param offset Where the name starts.
 * @example
 * ```ts
 * import { readDnsName } from '@libos/net';
 * readDnsName(new Uint8Array([3, 0x77, 0x77, 0x77, 0]), 0); // { name: 'www', end: 5 }
 * ```
 */
export function readDnsName(message: Uint8Array, offset: number): DnsNameRead | DnsNameIssue {
  let name = '';
  let pos = offset;
  let runStart = offset;
  let end = -1;
  let hops = 0;
  let wireLength = 1; // the root label
  for (;;) {
    if (pos >= message.length) return 'truncated';
    const length = message[pos]!;
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      // RFC 1035 §4.1.4: a pointer to a prior occurrence of the rest of the name.
      if (pos + 1 >= message.length) return 'truncated';
      const target = ((length & 0x3f) << 8) | message[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= runStart || ++hops > MAX_POINTER_HOPS) return 'bad-name';
      pos = target;
      runStart = target;
      continue;
    }
    // 0x40 and 0x80 are reserved label types (RFC 6891 §5 retired the extended ones).
    if (kind !== 0) return 'bad-name';
    if (length === 0) {
      if (end < 0) end = pos + 1;
      return { name, end };
    }
    if (pos + 1 + length > message.length) return 'truncated';
    wireLength += 1 + length;
    if (wireLength > MAX_NAME_LENGTH) return 'bad-name';
    name = appendLabel(name, message, pos + 1, length);
    pos += 1 + length;
  }
}

/**
 * The lower-cased form of a name used for comparisons (RFC 4343: ASCII letters are
 * compared case-insensitively), without a trailing dot.
 *
 * @example
 * ```ts
 * import { dnsNameKey } from '@libos/net';
 * dnsNameKey('WWW.Example.COM.'); // 'www.example.com'
 * ```
 */
export function dnsNameKey(name: string): string {
  const trimmed = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  return trimmed.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Encodes a presentation-form name (with or without the trailing dot, `\DDD` and `\X`
 * escapes allowed) as uncompressed wire labels.
 *
 * @param name The name; `''` or `'.'` is the root.
 * @throws {@link DnsError} `EBADNAME` for an empty label, a label over 63 octets, a
 *   name over 255 octets, a bad escape, or a character outside ASCII.
 * @example
 * ```ts
 * import { encodeDnsName } from '@libos/net';
 * encodeDnsName('www.example.com'); // [3 'www' 7 'example' 3 'com' 0]
 * ```
 */
export function encodeDnsName(name: string): Uint8Array {
  const out: number[] = [];
  const bad = (why: string): DnsError => new DnsError('EBADNAME', name, why);
  let labelStart = 0;
  out.push(0);
  let i = 0;
  const closeLabel = (): void => {
    const length = out.length - labelStart - 1;
    if (length === 0) throw bad('empty label');
    if (length > MAX_LABEL_LENGTH) throw bad('label longer than 63 octets');
    out[labelStart] = length;
    labelStart = out.length;
    out.push(0);
  };
  if (name === '.' || name === '') return Uint8Array.of(0);
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      closeLabel();
      i++;
      if (i === name.length) break; // trailing dot
      continue;
    }
    if (c === 0x5c) {
      const digits = name.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits)) {
        const value = Number(digits);
        if (value > 255) throw bad('escape above \\255');
        out.push(value);
        i += 4;
      } else if (i + 1 < name.length && name.charCodeAt(i + 1) < 0x80) {
        out.push(name.charCodeAt(i + 1));
        i += 2;
      } else {
        throw bad('bad escape');
      }
      continue;
    }
    if (c >= 0x80) throw bad('non-ASCII character (use punycode)');
    out.push(c);
    i++;
  }
  if (out.length - labelStart - 1 > 0) closeLabel();
  // `out` now ends with the 0 of an unused label slot: the root label.
  if (out.length > MAX_NAME_LENGTH) throw bad('name longer than 255 octets');
  return Uint8Array.from(out);
}
