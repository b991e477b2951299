import { FsError } from '../fs-error.js';
import type { Volume } from '../volume.js';
import { formatPath } from './normalize-path.js';

/**
 * One volume mounted in a {@link MountTable}.
 *
 * @example
 * ```ts
 * import type { Mount } from '@libos/fs';
 * const where = (m: Mount) => '/' + m.at.join('/');
 * ```
 */
export interface Mount {
  /** Components of the mount point. */
  readonly at: readonly string[];
  /** The mounted volume. */
  readonly volume: Volume;
  /** A number for `Stats.dev`, unique in the table's lifetime. */
  readonly dev: number;
  /** Files open through this mount. */
  openFiles: number;
}

/**
 * Where a path lands in a {@link MountTable}.
 *
 * @example
 * ```ts
 * import type { MountLookup } from '@libos/fs';
 * const isRootOfVolume = (l: MountLookup) => l.mount !== undefined && l.rest.length === 0;
 * ```
 */
export interface MountLookup {
  /** The mount with the longest mount point that is a prefix of the path, if any. */
  readonly mount: Mount | undefined;
  /** The path's components below that mount point (all of them when no mount matched). */
  readonly rest: readonly string[];
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/**
 * The table of mounted volumes: finds the volume for a path by longest-prefix match on
 * whole components, so `/data/x` is on the volume at `/data`, not on one at `/dat`.
 *
 * @example
 * ```ts
 * import { ManualWallClock, MemoryVolume, MountTable } from '@libos/fs';
 * const clock = new ManualWallClock();
 * const table = new MountTable();
 * table.mount([], new MemoryVolume({ clock }));
 * table.mount(['data'], new MemoryVolume({ clock }));
 * table.lookup(['data', 'a.txt']).rest; // ['a.txt']
 * ```
 */
export class MountTable {
  readonly #mounts: Mount[] = [];
  #nextDev = 1;

  /** Every mount, in mount order. */
  get mounts(): readonly Mount[] {
    return this.#mounts;
  }

  /**
   * Adds a mount.
   *
   * @param at Components of the mount point.
   * @param volume The volume.
   * @throws FsError `EBUSY` when something is already mounted there.
   */
  mount(at: readonly string[], volume: Volume): Mount {
    if (this.#mounts.some((m) => m.at.length === at.length && startsWith(at, m.at))) {
      throw new FsError('EBUSY', 'mount', formatPath(at));
    }
    const mount: Mount = { at: [...at], volume, dev: this.#nextDev++, openFiles: 0 };
    this.#mounts.push(mount);
    return mount;
  }

  /**
   * The mount exactly at `at`.
   *
   * @param at Components of a mount point.
   */
  mountAt(at: readonly string[]): Mount | undefined {
    return this.#mounts.find((m) => m.at.length === at.length && startsWith(at, m.at));
  }

  /**
   * Removes a mount.
   *
   * @param mount A mount of this table.
   */
  remove(mount: Mount): void {
    const i = this.#mounts.indexOf(mount);
    if (i >= 0) this.#mounts.splice(i, 1);
  }

  /**
   * Finds the volume holding `path`.
   *
   * @param path Normalised components.
   */
  lookup(path: readonly string[]): MountLookup {
    let best: Mount | undefined;
    for (const m of this.#mounts) {
      if (startsWith(path, m.at) && (best === undefined || m.at.length > best.at.length)) best = m;
    }
    return { mount: best, rest: best === undefined ? path : path.slice(best.at.length) };
  }

  /**
   * Names of the mount points directly inside `dir`, and whether any mount point lies
   * below it (which makes `dir` exist even when no volume holds it).
   *
   * @param dir Normalised components of a directory.
   */
  below(dir: readonly string[]): {
    /** Names of the mount points directly inside `dir`. */
    readonly childNames: string[];
    /** Some mount point lies below `dir`. */
    readonly any: boolean;
  } {
    const childNames: string[] = [];
    let any = false;
    for (const m of this.#mounts) {
      if (m.at.length > dir.length && startsWith(m.at, dir)) {
        any = true;
        const name = m.at[dir.length] as string;
        if (!childNames.includes(name)) childNames.push(name);
      }
    }
    return { childNames, any };
  }
}
