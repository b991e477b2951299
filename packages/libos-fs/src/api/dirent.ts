import type { NodeType } from '../volume.js';
import { NodeKind } from './node-kind.js';

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
export class Dirent extends NodeKind {
  /** The entry's name. */
  readonly name: string;
  /** The directory's path as given to `readdir`. */
  readonly parentPath: string;
  /** Same as `parentPath` (Node's deprecated alias). */
  readonly path: string;

  /**
   * @param name The entry's name.
   * @param type File or directory.
   * @param parentPath The directory's path.
   */
  constructor(name: string, type: NodeType, parentPath: string) {
    super(type);
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
  }
}
