/**
 * `fatDisk()`: a virtio-blk disk with a FAT file system for a libos unikernel (brings
 * in `@libos/fs`).
 *
 * @module
 */
export { type FatDiskHandle, type FatDiskOptions, fatDisk } from './fat-disk.js';
