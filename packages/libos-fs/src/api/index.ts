export { Dirent } from './dirent.js';
export {
  FileHandle,
  type FileHandleTarget,
  type ReadOptions,
  type ReadResult,
  type WriteResult,
} from './file-handle.js';
export {
  createFileSystem,
  FileSystem,
  type ReaddirOptions,
  type RmOptions,
  type TextEncoding,
  type TimeLike,
  type WriteFileOptions,
} from './file-system.js';
export { ManualWallClock } from './manual-wall-clock.js';
export { MemoryVolume, type MemoryVolumeOptions } from './memory-volume.js';
export { type Mount, type MountLookup, MountTable } from './mount-table.js';
export { NodeKind } from './node-kind.js';
export { formatPath, normalizePath, type ParsedPath, parsePath } from './normalize-path.js';
export { type OpenFlags, type OpenMode, parseOpenFlags } from './open-flags.js';
export { StatFs, Stats } from './stats.js';
export {
  type FileReadableStream,
  type FileStreamReader,
  type FileStreamWriter,
  type FileWritableStream,
  fileReadableStream,
  fileWritableStream,
  type ReadStreamOptions,
  type WriteStreamOptions,
} from './web-streams.js';
