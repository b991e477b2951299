/** Bytes per chunk: large files cost one small object per 64 KiB. */
const CHUNK = 64 * 1024;

/**
 * The contents of a file held in memory as 64 KiB chunks that are allocated on first
 * write and grow as needed, so a sparse file costs only what was written and a small
 * file only its own size. Bytes never written read as zeros. The caller tracks the
 * file's size; this class only keeps bytes below it.
 *
 * @example
 * ```ts
 * // internal to @libos/fs (src/api/chunked-bytes.ts)
 * const bytes = new ChunkedBytes();
 * bytes.write(1_000_000, new Uint8Array([1, 2, 3]));
 * const out = new Uint8Array(4);
 * bytes.read(999_999, out); // [0, 1, 2, 3]
 * ```
 */
export class ChunkedBytes {
  readonly #chunks = new Map<number, Uint8Array>();

  /**
   * Copies `buffer.length` bytes starting at `position` into `buffer`; never-written
   * bytes read as zeros.
   *
   * @param position Byte offset ≥ 0.
   * @param buffer Receives the bytes.
   */
  read(position: number, buffer: Uint8Array): void {
    let done = 0;
    while (done < buffer.length) {
      const at = position + done;
      const index = Math.floor(at / CHUNK);
      const offset = at - index * CHUNK;
      const n = Math.min(CHUNK - offset, buffer.length - done);
      const chunk = this.#chunks.get(index);
      const target = buffer.subarray(done, done + n);
      if (chunk === undefined || offset >= chunk.length) {
        target.fill(0);
      } else {
        const have = Math.min(n, chunk.length - offset);
        target.set(chunk.subarray(offset, offset + have));
        if (have < n) target.fill(0, have);
      }
      done += n;
    }
  }

  /**
   * Copies `data` in at `position`.
   *
   * @param position Byte offset ≥ 0.
   * @param data The bytes (copied; the caller may reuse the buffer).
   */
  write(position: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const at = position + done;
      const index = Math.floor(at / CHUNK);
      const offset = at - index * CHUNK;
      const n = Math.min(CHUNK - offset, data.length - done);
      let chunk = this.#chunks.get(index);
      const need = offset + n;
      if (chunk === undefined || chunk.length < need) {
        const grown = new Uint8Array(Math.min(CHUNK, Math.max(need, (chunk?.length ?? 0) * 2)));
        if (chunk !== undefined) grown.set(chunk);
        chunk = grown;
        this.#chunks.set(index, chunk);
      }
      chunk.set(data.subarray(done, done + n), offset);
      done += n;
    }
  }

  /**
   * Forgets every byte at or after `size`, so that growing the file later exposes zeros.
   *
   * @param size The new end of the contents.
   */
  cut(size: number): void {
    const last = Math.floor(size / CHUNK);
    for (const index of [...this.#chunks.keys()]) {
      if (index > last) this.#chunks.delete(index);
    }
    const chunk = this.#chunks.get(last);
    if (chunk !== undefined) {
      const offset = size - last * CHUNK;
      if (offset === 0) this.#chunks.delete(last);
      else if (offset < chunk.length) chunk.fill(0, offset);
    }
  }

  /** A deep copy. */
  clone(): ChunkedBytes {
    const copy = new ChunkedBytes();
    for (const [i, c] of this.#chunks) copy.#chunks.set(i, c.slice());
    return copy;
  }
}
