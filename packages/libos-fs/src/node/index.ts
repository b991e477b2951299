/**
 * @libos/fs/node — Node.js-only helpers around the libos file system: Node.js streams
 * over libos files, copying directory trees between the host and a libos
 * {@link FileSystem}, building and extracting FAT images from and to host directories,
 * and a {@link BlockDevice} on a host file. Core entry points stay
 * browser-safe; everything that needs `node:*` lives here.
 *
 * @packageDocumentation
 */

export type { FileSystem } from '../api/file-system.js';
export type { BlockDevice } from '../block-device.js';
export {
  type CopyTreeOptions,
  type CopyTreeResult,
  copyFileSystemToHostDirectory,
  copyHostDirectoryToFileSystem,
} from './copy-tree.js';
export {
  type BuildFatImageOptions,
  buildFatImage,
  type ExtractFatImageOptions,
  extractFatImage,
  type FatImageResult,
} from './fat-image.js';
export { FileBlockDevice, type FileBlockDeviceOptions } from './file-block-device.js';
export { createReadStream, createWriteStream, toNodeReadable } from './node-streams.js';
