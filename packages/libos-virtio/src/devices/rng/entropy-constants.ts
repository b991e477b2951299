/**
 * Index of the entropy device's only virtqueue, `requestq` (virtio 1.2 §5.4.2). The
 * device has no feature bits (§5.4.3) and no configuration space (§5.4.4).
 *
 * @example
 * ```ts
 * import { ENTROPY_REQUEST_QUEUE } from '@libos/virtio';
 * driverCore.kick(ENTROPY_REQUEST_QUEUE);
 * ```
 */
export const ENTROPY_REQUEST_QUEUE = 0;
