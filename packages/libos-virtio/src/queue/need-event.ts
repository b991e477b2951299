/**
 * The event-index rule of virtio 1.2 §2.7.10 (`vring_need_event` in the spec's
 * `virtio_ring.h`): with VIRTIO_F_EVENT_IDX, the other side asked to be told once its
 * index moves past `eventIdx`. Having moved our index from `oldIdx` to `newIdx`, a
 * notification (or interrupt) is needed iff `eventIdx` lies in `[oldIdx, newIdx)`,
 * counted modulo 2^16:
 *
 * ```text
 *   (u16)(newIdx - eventIdx - 1) < (u16)(newIdx - oldIdx)
 * ```
 *
 * All three arguments are taken modulo 2^16, so callers may pass free-running counters.
 *
 * @param eventIdx - `avail_event` (driver deciding to notify) or `used_event` (device
 *   deciding to interrupt), as read from the ring
 * @param newIdx - our index after the batch just published
 * @param oldIdx - our index when we last made this decision
 * @returns whether the other side must be notified
 *
 * @example
 * ```ts
 * import { vringNeedEvent } from '@libos/virtio';
 * vringNeedEvent(5, 8, 4); // true: index 5 was crossed going from 4 to 8
 * vringNeedEvent(9, 8, 4); // false: the other side wants to hear only after 9
 * vringNeedEvent(0xffff, 2, 0xfffe); // true: wrap-around
 * ```
 */
export function vringNeedEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}
