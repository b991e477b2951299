import type { ChunkedBytes } from './chunked-bytes.js';

/**
 * Timestamps of a node in a {@link MemoryVolume}, in ms since the Unix epoch.
 *
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/memory-node.ts)
 * const times: MemoryTimes = { birthtimeMs: 0, mtimeMs: 0, atimeMs: 0 };
 * ```
 */
export interface MemoryTimes {
  /** Creation. */
  birthtimeMs: number;
  /** Last change of contents (or entries, for a directory). */
  mtimeMs: number;
  /** Last access. */
  atimeMs: number;
}

/**
 * A file of a {@link MemoryVolume}.
 *
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/memory-node.ts)
 * const isEmpty = (f: MemoryFileNode) => f.size === 0;
 * ```
 */
export interface MemoryFileNode {
  /** Discriminant. */
  readonly type: 'file';
  /** Inode number. */
  readonly ino: number;
  /** The contents below `size`. */
  bytes: ChunkedBytes;
  /** Size in bytes. */
  size: number;
  /** Timestamps. */
  readonly times: MemoryTimes;
}

/**
 * One name in a directory of a {@link MemoryVolume}: the name as created (case
 * preserved) and what it names.
 *
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/memory-node.ts)
 * const label = (e: MemoryEntry) => `${e.name} (${e.node.type})`;
 * ```
 */
export interface MemoryEntry {
  /** The stored name. */
  name: string;
  /** The node. */
  readonly node: MemoryNode;
}

/**
 * A directory of a {@link MemoryVolume}; entries are keyed by the lookup form of the
 * name (upper case on a case-insensitive volume).
 *
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/memory-node.ts)
 * const count = (d: MemoryDirectoryNode) => d.entries.size;
 * ```
 */
export interface MemoryDirectoryNode {
  /** Discriminant. */
  readonly type: 'directory';
  /** Inode number. */
  readonly ino: number;
  /** Entries by lookup key, in creation order. */
  readonly entries: Map<string, MemoryEntry>;
  /** Timestamps. */
  readonly times: MemoryTimes;
}

/**
 * A node of a {@link MemoryVolume}.
 *
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/memory-node.ts)
 * const isDir = (n: MemoryNode) => n.type === 'directory';
 * ```
 */
export type MemoryNode = MemoryFileNode | MemoryDirectoryNode;
