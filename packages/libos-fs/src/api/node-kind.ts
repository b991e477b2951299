import type { NodeType } from '../volume.js';

/**
 * The type tests Node's `fs.Stats` and `fs.Dirent` share (`isFile()`, `isDirectory()`,
 * …), answered from a volume's node type. Volumes hold only files and directories, so
 * the other five are always false. {@link Stats} and {@link Dirent} extend it.
 *
 * @example
 * ```ts
 * import type { NodeKind } from '@libos/fs';
 * const describe = (k: NodeKind) => (k.isDirectory() ? 'directory' : 'file');
 * ```
 */
export abstract class NodeKind {
  readonly #type: NodeType;

  /** @param type File or directory. */
  protected constructor(type: NodeType) {
    this.#type = type;
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
