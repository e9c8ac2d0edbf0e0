/**
 * One way to replace a file safely (Node only): write a temporary file beside it, flush it to
 * disk, verify what landed there, and only then rename it over the target. A full disk, a
 * read-only folder or a writer that silently drops bytes ends in an {@link AtomicWriteError}
 * naming the path and the cause, with any previous file untouched and no temporary left.
 * SVI checkpoints (svi/checkpoint-node.ts), and in `@scribe/models` params.json, CSVs and
 * `.h5ad` files, all go through {@link replaceFileAtomic}; it lives here, in the lowest package
 * that writes files, so there is one implementation. Exported from `@scribe/infer/node`.
 * @module
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** A failed atomic write: `path` is the target, `reason` the cause in a few words. */
export class AtomicWriteError extends Error {
  override name = "AtomicWriteError";
  /**
   * @param path the file that was to be written
   * @param reason why it was not (e.g. `no space left on device (ENOSPC)`)
   */
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot write ${path}: ${reason}; any previous file there is unchanged`, options);
  }
}

/** A system error's message without Node's `CODE: ` prefix and syscall tail, plus the code. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === "string" && typeof e.message === "string") {
    const text = e.message
      .replace(/^[A-Z]+: /, "")
      .replace(/, (open|write|close|fsync|rename|mkdir|unlink) .*$|, (write|fsync|close)$/, "");
    return `${text} (${e.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** A fresh temporary name beside `full` (same folder, so the rename cannot cross devices). */
export function temporaryPathFor(full: string): string {
  return join(dirname(full), `.${basename(full)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/**
 * Flush a file's data to disk (so a failure surfaces now, not after the rename), on libuv's
 * thread pool: the flush is handed to the pool at once (the file is opened here), so it runs
 * while the caller goes on, e.g. reading the file back.
 */
function fsyncFileAsync(path: string): Promise<void> {
  const fd = openSync(path, "r+");
  return new Promise((done, fail) =>
    fsync(fd, (err) => {
      try {
        closeSync(fd);
      } catch (closeErr) {
        err ??= closeErr as NodeJS.ErrnoException;
      }
      if (err) fail(err);
      else done();
    }),
  );
}

/**
 * {@link fsyncDir} on libuv's thread pool, not waited for: its failures are ignored anyway, and
 * the event loop keeps the process alive until it is done (short of `process.exit`).
 */
function fsyncDirInBackground(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return; // as fsyncDir: a folder that cannot be opened is not flushed
  }
  fsync(fd, () => {
    try {
      closeSync(fd);
    } catch {
      // nothing to do: the flush was best effort
    }
  });
}

/** Best-effort flush of a folder entry (the rename); some filesystems refuse it, harmlessly. */
function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported here (e.g. some network filesystems); the data itself is already synced
  }
}

/** How to produce and check the new file in {@link replaceFileAtomic}. */
export interface AtomicWriter {
  /** Write the complete file at `tmp` (throw on any failure). */
  write(tmp: string): void | Promise<void>;
  /** Read `tmp` back and throw when it is not what was meant to be written. */
  verify(tmp: string): void | Promise<void>;
  /** Turns a thrown error into the few words of {@link AtomicWriteError.reason}. */
  describe?: (err: unknown) => string;
}

/** A verified temporary file waiting to replace its target (see {@link prepareFileAtomic}). */
export interface PreparedFile {
  /** The target path as given. */
  readonly path: string;
  /** Rename the temporary file over the target (an {@link AtomicWriteError} on failure). */
  commit(): void;
  /** Remove the temporary file (the target stays as it was). */
  discard(): void;
}

/**
 * The first half of {@link replaceFileAtomic}: write, fsync and verify a temporary file beside
 * `path`, and return it uncommitted, so that several outputs can all be checked before any of
 * them replaces its predecessor (see {@link commitAll}).
 */
export async function prepareFileAtomic(path: string, writer: AtomicWriter): Promise<PreparedFile> {
  const full = resolve(path);
  const tmp = temporaryPathFor(full);
  try {
    await writer.write(tmp);
    // the flush to disk and the read-back check overlap; both must succeed
    const synced = fsyncFileAsync(tmp);
    const [flushed, verified] = await Promise.allSettled([synced, (async () => writer.verify(tmp))()]);
    if (verified.status === "rejected") throw verified.reason;
    if (flushed.status === "rejected") throw flushed.reason;
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof AtomicWriteError) throw err;
    throw new AtomicWriteError(path, (writer.describe ?? describeFsError)(err), { cause: err });
  }
  let done = false;
  return {
    path,
    commit() {
      if (done) return;
      done = true;
      try {
        renameSync(tmp, full);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw new AtomicWriteError(path, describeFsError(err), { cause: err });
      }
      fsyncDirInBackground(dirname(full));
    },
    discard() {
      if (done) return;
      done = true;
      rmSync(tmp, { force: true });
    },
  };
}

/**
 * Prepare every output, then commit them all: when any one fails to write or verify, none
 * replaces its predecessor (the renames themselves, which cannot run out of space, follow).
 */
export async function commitAll(prepare: readonly (() => Promise<PreparedFile>)[]): Promise<void> {
  const ready: PreparedFile[] = [];
  try {
    for (const p of prepare) ready.push(await p());
  } catch (err) {
    for (const r of ready) r.discard();
    throw err;
  }
  for (const r of ready) r.commit();
}

/**
 * Replace `path` atomically: {@link AtomicWriter.write} to a temporary file in the same
 * folder, fsync, {@link AtomicWriter.verify}, rename over `path`, fsync the folder. Any
 * failure removes the temporary file and throws an {@link AtomicWriteError}.
 */
export async function replaceFileAtomic(path: string, writer: AtomicWriter): Promise<void> {
  (await prepareFileAtomic(path, writer)).commit();
}

/** Write all of `bytes` to `fd`, looping over short writes. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    const n = writeSync(fd, bytes, off, bytes.length - off);
    if (n <= 0) throw new Error(`short write (${off} of ${bytes.length} bytes)`);
    off += n;
  }
}

function writeBytesVerified(tmp: string, bytes: Uint8Array): void {
  const fd = openSync(tmp, "wx");
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function verifyBytes(tmp: string, bytes: Uint8Array): void {
  const back = readFileSync(tmp);
  if (back.length !== bytes.length || !back.equals(bytes))
    throw new Error(`read back ${back.length} bytes that differ from the ${bytes.length} written`);
}

/**
 * Replace a text file atomically (synchronous form, for callers that cannot await): write,
 * fsync, read back and compare, rename. Throws {@link AtomicWriteError} on any failure, with
 * the previous file intact.
 */
export function writeTextFileAtomicSync(path: string, text: string): void {
  const full = resolve(path);
  const tmp = temporaryPathFor(full);
  const bytes = Buffer.from(text, "utf8");
  try {
    writeBytesVerified(tmp, bytes);
    verifyBytes(tmp, bytes);
    renameSync(tmp, full);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new AtomicWriteError(path, describeFsError(err), { cause: err });
  }
  fsyncDir(dirname(full));
}

/** The writer of a binary file for {@link prepareFileAtomic}: write, fsync, read back and compare. */
export function bytesWriter(bytes: Uint8Array): AtomicWriter {
  return { write: (tmp) => writeBytesVerified(tmp, bytes), verify: (tmp) => verifyBytes(tmp, bytes) };
}

/** The writer of a text file for {@link prepareFileAtomic}: write, fsync, read back and compare. */
export function textWriter(text: string): AtomicWriter {
  return bytesWriter(Buffer.from(text, "utf8"));
}

/** Replace a text file atomically (see {@link replaceFileAtomic}). */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  await replaceFileAtomic(path, textWriter(text));
}
