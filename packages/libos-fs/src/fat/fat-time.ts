/**
 * FAT date and time stamps (fatgen103 "Date and Time Formats"). FAT stores local time
 * with no zone; libos treats it as UTC (the same choice as mtools with `TZ=UTC` and the
 * Linux `tz=UTC` mount option), so a stamp round-trips through `Date.UTC` unchanged.
 */

/** First representable instant: 1980-01-01T00:00:00Z. */
const FAT_EPOCH_MS = Date.UTC(1980, 0, 1);
/** Last representable instant: 2107-12-31T23:59:58Z. */
const FAT_END_MS = Date.UTC(2107, 11, 31, 23, 59, 58);

/**
 * A FAT timestamp as stored in a directory entry.
 *
 * @example
 * ```ts
 * import { encodeFatTimestamp } from '@libos/fs';
 * const stamp = encodeFatTimestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 670));
 * // stamp.date, stamp.time (2 s units) and stamp.tenths (10 ms units, 0–199)
 * ```
 */
export interface FatTimestamp {
  /** Bits 15–9 year since 1980, 8–5 month 1–12, 4–0 day 1–31. */
  readonly date: number;
  /** Bits 15–11 hours, 10–5 minutes, 4–0 seconds / 2. */
  readonly time: number;
  /** Hundredths of a second added to `time`, 0–199 (creation time only). */
  readonly tenths: number;
}

/**
 * Encodes milliseconds since the epoch (UTC) as a FAT timestamp, clamping to the
 * representable range 1980–2107.
 *
 * @param ms Milliseconds since 1970-01-01T00:00:00Z.
 * @example
 * ```ts
 * import { encodeFatTimestamp } from '@libos/fs';
 * encodeFatTimestamp(Date.UTC(1980, 0, 1)); // { date: 0x21, time: 0, tenths: 0 }
 * ```
 */
export function encodeFatTimestamp(ms: number): FatTimestamp {
  const clamped = Math.min(
    Math.max(Number.isFinite(ms) ? ms : FAT_EPOCH_MS, FAT_EPOCH_MS),
    FAT_END_MS + 1999,
  );
  const d = new Date(Math.floor(clamped / 10) * 10);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const seconds = d.getUTCSeconds();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (seconds >> 1);
  const tenths = (seconds & 1) * 100 + Math.floor(d.getUTCMilliseconds() / 10);
  return { date, time, tenths };
}

/**
 * Decodes a FAT date, time and optional hundredths to milliseconds since the epoch
 * (UTC). Out-of-range fields (month 0, day 0...) decode to the nearest valid value, as
 * readers of real media must tolerate them.
 *
 * @param date The 16-bit date; 0 means "not set" and decodes to 1980-01-01.
 * @param time The 16-bit time (0 for date-only fields such as the access date).
 * @param tenths Hundredths of a second, 0–199.
 * @example
 * ```ts
 * import { decodeFatTimestamp } from '@libos/fs';
 * decodeFatTimestamp(0x21, 0); // Date.UTC(1980, 0, 1)
 * ```
 */
export function decodeFatTimestamp(date: number, time: number, tenths = 0): number {
  const year = 1980 + ((date >> 9) & 0x7f);
  const month = Math.min(Math.max((date >> 5) & 0x0f, 1), 12);
  const day = Math.max(date & 0x1f, 1);
  const hours = Math.min((time >> 11) & 0x1f, 23);
  const minutes = Math.min((time >> 5) & 0x3f, 59);
  const seconds = Math.min((time & 0x1f) * 2, 58);
  const extra = Math.min(Math.max(tenths, 0), 199) * 10;
  return Date.UTC(year, month - 1, day, hours, minutes, seconds) + extra;
}
