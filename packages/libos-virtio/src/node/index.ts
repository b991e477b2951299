/**
 * @libos/virtio/node — Node.js-only host backends for virtio device models (file-backed
 * disks, host sockets). Core entry points stay browser-safe; everything that needs
 * `node:*` lives here.
 *
 * @packageDocumentation
 */
export { FileBlockBackend, type FileBlockBackendOptions } from './file-block-backend.js';
