/**
 * 8.3 short names: validity, the basis name and numeric tail generated from a long name
 * (fatgen103 "The Basis-Name Generation Algorithm", "The Numeric-Tail Generation
 * Algorithm"), display, and the case folding lookups use.
 *
 * Short names libos generates use ASCII only: any other character becomes `_` and
 * forces a numeric tail. A name whose upper-case form is a valid 8.3 name but which has
 * lower-case letters ("readme.txt") is stored with long-name entries and the short name
 * "README.TXT" without a tail; the NT lower-case flags (DIR_NTRes bits 3–4) are honoured
 * when reading but never written.
 */
import { LFN_MAX_UNITS } from './lfn-entry.js';

/** Punctuation allowed in short names besides A–Z and 0–9 (fatgen103 "DIR_Name"). */
const SHORT_PUNCT = new Set("!#$%&'()-@^_`{}~".split('').map((c) => c.charCodeAt(0)));
/** Characters a long name may not contain (fatgen103 "FAT Long Directory Entries"). */
const LONG_FORBIDDEN = new Set('"*/:<>?\\|'.split('').map((c) => c.charCodeAt(0)));

function isShortChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || SHORT_PUNCT.has(c);
}

/**
 * Why a name cannot be stored in a FAT directory.
 *
 * @example
 * ```ts
 * import type { FatNameProblem } from '@libos/fs';
 * const code = (p: FatNameProblem) => (p === 'too-long' ? 'ENAMETOOLONG' : 'EINVAL');
 * ```
 */
export type FatNameProblem =
  | 'empty'
  | 'too-long'
  | 'bad-char'
  | 'dot-name'
  | 'trailing-dot-or-space';

/**
 * Checks a long name: 1–255 UTF-16 units, no control characters or `"*\/:<>?\\|`, not
 * `.`/`..`, and no trailing dot or space (Windows would silently strip those, so they
 * are refused rather than stored under a different name).
 *
 * @param name The proposed name.
 * @example
 * ```ts
 * import { checkFatName } from '@libos/fs';
 * checkFatName('a?b'); // 'bad-char'
 * checkFatName('notes.txt'); // undefined
 * ```
 */
export function checkFatName(name: string): FatNameProblem | undefined {
  if (name.length === 0) return 'empty';
  if (name.length > LFN_MAX_UNITS) return 'too-long';
  if (name === '.' || name === '..') return 'dot-name';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || LONG_FORBIDDEN.has(c)) return 'bad-char';
  }
  const last = name.charCodeAt(name.length - 1);
  if (last === 0x2e || last === 0x20) return 'trailing-dot-or-space';
  return undefined;
}

const FOLD = new Map<number, number>();
/**
 * Folds a name for case-insensitive comparison: each UTF-16 unit upper-cased when its
 * upper-case form is a single unit (FAT's up-case table works unit by unit).
 *
 * @param name A name.
 * @example
 * ```ts
 * import { foldFatName } from '@libos/fs';
 * foldFatName('ReadMe.txt') === foldFatName('README.TXT'); // true
 * ```
 */
export function foldFatName(name: string): string {
  let ascii = true;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) >= 0x80) ascii = false;
  if (ascii) return name.toUpperCase();
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    let f = FOLD.get(c);
    if (f === undefined) {
      const up = String.fromCharCode(c).toUpperCase();
      f = up.length === 1 ? up.charCodeAt(0) : c;
      FOLD.set(c, f);
    }
    out += String.fromCharCode(f);
  }
  return out;
}

/**
 * The 11-byte short name for `name` when `name` is itself a valid upper-case 8.3 name
 * (so no long-name entries are needed), else undefined.
 *
 * @param name A long name that passed {@link checkFatName}.
 * @example
 * ```ts
 * import { exactShortName } from '@libos/fs';
 * exactShortName('README.TXT'); // bytes of 'README  TXT'
 * exactShortName('readme.txt'); // undefined
 * ```
 */
export function exactShortName(name: string): Uint8Array | undefined {
  const dot = name.indexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? '' : name.slice(dot + 1);
  if (base.length < 1 || base.length > 8 || ext.length > 3 || (dot >= 0 && ext.length === 0))
    return undefined;
  for (const part of [base, ext]) {
    for (let i = 0; i < part.length; i++) if (!isShortChar(part.charCodeAt(i))) return undefined;
  }
  return packShortName(base, ext);
}

function packShortName(base: string, ext: string): Uint8Array {
  const out = new Uint8Array(11).fill(0x20);
  for (let i = 0; i < base.length; i++) out[i] = base.charCodeAt(i);
  for (let i = 0; i < ext.length; i++) out[8 + i] = ext.charCodeAt(i);
  // fatgen103 "DIR_Name[0]": a leading 0xE5 byte is stored as 0x05.
  if (out[0] === 0xe5) out[0] = 0x05;
  return out;
}

/**
 * A basis name: the short name before any numeric tail.
 *
 * @example
 * ```ts
 * import type { BasisName } from '@libos/fs';
 * const needsTail = (b: BasisName) => b.lossy;
 * ```
 */
export interface BasisName {
  /** Up to 8 characters. */
  base: string;
  /** Up to 3 characters. */
  ext: string;
  /** Information was lost, so a numeric tail is required. */
  lossy: boolean;
}

/**
 * The basis name for a long name (fatgen103 "The Basis-Name Generation Algorithm"):
 * upper-cased, spaces and leading dots removed, characters not allowed in short names
 * (and every non-ASCII character) replaced by `_`, base and extension split at the
 * last dot and cut to 8 and 3 characters. `lossy` is true when any of that lost
 * information, which means a numeric tail is required.
 *
 * @param name A long name that passed {@link checkFatName}.
 * @example
 * ```ts
 * import { basisName } from '@libos/fs';
 * basisName('My Long Document.html'); // { base: 'MYLONGDO', ext: 'HTM', lossy: true }
 * ```
 */
export function basisName(name: string): BasisName {
  let lossy = false;
  const upper = foldFatName(name);
  let stripped = '';
  for (let i = 0; i < upper.length; i++) {
    const c = upper.charCodeAt(i);
    if (c === 0x20 || (c === 0x2e && stripped.length === 0)) {
      lossy = true;
      continue;
    }
    stripped += upper[i];
  }
  const lastDot = stripped.lastIndexOf('.');
  const rawBase = lastDot < 0 ? stripped : stripped.slice(0, lastDot);
  const rawExt = lastDot < 0 ? '' : stripped.slice(lastDot + 1);
  const clean = (s: string, max: number): string => {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x2e) {
        lossy = true;
        continue;
      }
      let ch = s[i]!;
      if (!isShortChar(c)) {
        // "+,;=[]", non-ASCII and anything else not valid in a short name.
        lossy = true;
        ch = '_';
      }
      if (out.length === max) {
        lossy = true;
        break;
      }
      out += ch;
    }
    return out;
  };
  let base = clean(rawBase, 8);
  const ext = clean(rawExt, 3);
  if (base.length === 0) {
    base = '_';
    lossy = true;
  }
  return { base, ext, lossy };
}

/**
 * Generates the short name for a new entry called `name` in a directory whose existing
 * short names `taken` reports (11-byte names as latin-1 strings). Exact 8.3 names are
 * used as they are; otherwise the basis name is used when it is lossless and free, else
 * the first free numeric tail `~1` … `~4` (fatgen103 "The Numeric-Tail Generation
 * Algorithm"), then a hashed form `XX1A2B~1` so that many similar names stay cheap, then
 * `~5` … `~999999`. Returns undefined when all of those are taken.
 *
 * @param name A long name that passed {@link checkFatName}.
 * @param taken Whether an 11-byte short name is already used in the directory.
 * @example
 * ```ts
 * import { generateShortName } from '@libos/fs';
 * const used = new Set<string>();
 * generateShortName('Long File Name.txt', (n) => used.has(n)); // 'LONGFI~1TXT' as bytes
 * ```
 */
export function generateShortName(
  name: string,
  taken: (shortName: string) => boolean,
): Uint8Array | undefined {
  const exact = exactShortName(name);
  if (exact && !taken(shortNameKey(exact))) return exact;
  const { base, ext, lossy } = basisName(name);
  if (!lossy) {
    const plain = packShortName(base, ext);
    if (!taken(shortNameKey(plain))) return plain;
  }
  const tailed = (stem: string, n: number) => {
    const tail = `~${n}`;
    return packShortName(stem.slice(0, 8 - tail.length) + tail, ext);
  };
  // ~1 … ~4 on the basis name, then (as Windows does, so that thousands of similar
  // names do not each probe thousands of tails) two basis characters, four hex digits
  // of a hash of the long name, and ~1; sequential tails are the last resort.
  for (let n = 1; n <= 4; n++) {
    const candidate = tailed(base, n);
    if (!taken(shortNameKey(candidate))) return candidate;
  }
  let hash = 0x811c;
  for (let i = 0; i < name.length; i++) {
    hash = (Math.imul(hash ^ name.charCodeAt(i), 0x1003f) >>> 0) & 0xffff;
  }
  for (let k = 0; k < 0x10000; k++) {
    const h = ((hash + k * 0x9e37) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
    const candidate = tailed(base.slice(0, 2) + h, 1);
    if (!taken(shortNameKey(candidate))) return candidate;
  }
  for (let n = 5; n <= 999999; n++) {
    const candidate = tailed(base, n);
    if (!taken(shortNameKey(candidate))) return candidate;
  }
  return undefined;
}

/**
 * The 11 bytes of a short name as a latin-1 string, for use as a map key.
 *
 * @param raw The 11 bytes of DIR_Name.
 * @example
 * ```ts
 * import { shortNameKey } from '@libos/fs';
 * shortNameKey(new TextEncoder().encode('README  TXT')); // 'README  TXT'
 * ```
 */
export function shortNameKey(raw: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 11; i++) s += String.fromCharCode(raw[i]!);
  return s;
}

/**
 * The name a short entry shows: base and extension without padding, joined by a dot
 * when there is an extension, lower-cased per the NT flags. Bytes ≥ 0x80 are shown as
 * latin-1 characters.
 *
 * @param raw The 11 bytes of DIR_Name.
 * @param ntRes DIR_NTRes (bit 3: lower-case base, bit 4: lower-case extension).
 * @example
 * ```ts
 * import { displayShortName } from '@libos/fs';
 * displayShortName(new TextEncoder().encode('README  TXT'), 0x18); // 'readme.txt'
 * ```
 */
export function displayShortName(raw: Uint8Array, ntRes: number): string {
  let base = '';
  for (let i = 0; i < 8; i++)
    base += String.fromCharCode(i === 0 && raw[0] === 0x05 ? 0xe5 : raw[i]!);
  let ext = '';
  for (let i = 8; i < 11; i++) ext += String.fromCharCode(raw[i]!);
  base = base.replace(/ +$/, '');
  ext = ext.replace(/ +$/, '');
  if (ntRes & 0x08) base = base.toLowerCase();
  if (ntRes & 0x10) ext = ext.toLowerCase();
  return ext.length > 0 ? `${base}.${ext}` : base;
}
