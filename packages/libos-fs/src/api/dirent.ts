import type { NodeType } from '../volume.js';

/**
 * One directory entry from `readdir(path, { withFileTypes: true })`, shaped like Node's
 * `fs.Dirent`.
 *
 * @example
 * ```ts
 * for (const e of await fs.readdir('/data', { withFileTypes: true })) {
 *   if (e.isDirectory()) console.log(`${e.parentPath}/${e.name}/`);
 * }
 * ```
 */
export class Dirent {
  /** The entry's name. */
  readonly name: string;
  /** The directory's path as given to `readdir`. */
  readonly parentPath: string;
  /** Same as `parentPath` (Node's deprecated alias). */
  readonly path: string;
  readonly #type: NodeType;

  /**
   * @param name The entry's name.
   * @param type File or directory.
   * @param parentPath The directory's path.
   */
  constructor(name: string, type: NodeType, parentPath: string) {
    this.name = name;
    this.#type = type;
    this.parentPath = parentPath;
    this.path = parentPath;
  }

  /** True for a regular file. */
  isFile(): boolean {
    return this.#type === 'file';
  }
  /** True for a directory. */
  isDirectory(): boolean {
    return this.#type === 'directory';
  }
  /** Always false: volumes have no symbolic links. */
  isSymbolicLink(): boolean {
    return false;
  }
  /** Always false. */
  isBlockDevice(): boolean {
    return false;
  }
  /** Always false. */
  isCharacterDevice(): boolean {
    return false;
  }
  /** Always false. */
  isFIFO(): boolean {
    return false;
  }
  /** Always false. */
  isSocket(): boolean {
    return false;
  }
}
