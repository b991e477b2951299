/**
 * `nic()`: a virtio-net card with a TCP/IP stack for a libos unikernel (brings in
 * `@libos/net`).
 *
 * @module
 */
export { type NicHandle, type NicOptions, nic } from './nic.js';
