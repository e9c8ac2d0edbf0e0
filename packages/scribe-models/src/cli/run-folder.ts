/**
 * Safety of a command's outputs: never write over an input file, check that the output folder
 * can be written before any work, hold a lock on it while a run owns it (a second run is
 * refused; a lock left by a dead process is taken over), remove a folder the run created
 * when the run fails, and tie a resumable run to its data by content (`run.json`).
 *
 * Node-only.
 * @module
 */
import { createHash } from "node:crypto";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Matrix } from "../io/matrix.js";
import { toCsr } from "../io/matrix.js";
import { CliError, writeFileAtomic } from "./util.js";

/** The files a 10x folder reader may open (each optionally gzipped). */
const TENX_FILES = ["matrix.mtx", "features.tsv", "genes.tsv", "barcodes.tsv", "obs.tsv"];

/** The files read for the data set at `dataPath` (the file itself, or a 10x folder's files). */
export function inputFiles(dataPath: string): string[] {
  if (!existsSync(dataPath)) return [];
  if (!statSync(dataPath).isDirectory()) return [dataPath];
  const out: string[] = [];
  for (const n of TENX_FILES)
    for (const f of [n, `${n}.gz`]) if (existsSync(join(dataPath, f))) out.push(join(dataPath, f));
  return out;
}

/**
 * Refuse (before any work) an output path that is, after symlinks and hard links, one of the
 * input files: writing it would destroy the data.
 * @param outputs output files as the user will see them named
 * @param inputs the input files ({@link inputFiles})
 * @param option the option that named the output, for the message (e.g. `--out`)
 */
export function refuseOverwritingInputs(
  outputs: readonly string[],
  inputs: readonly string[],
  option: string,
): void {
  const ids = new Map<string, string>();
  for (const f of inputs) {
    const s = statSync(f);
    ids.set(`${s.dev}:${s.ino}`, f);
  }
  for (const out of outputs) {
    if (!existsSync(out)) continue; // a new file cannot be an input
    const s = statSync(out);
    const hit = ids.get(`${s.dev}:${s.ino}`);
    if (hit !== undefined)
      throw new CliError(
        `${option} would overwrite the input file ${hit}${resolve(out) !== resolve(hit) ? ` (as ${out})` : ""}; choose another output`,
      );
  }
}

/** The nearest existing ancestor of `path` (itself when it exists). */
function nearestExisting(path: string): string {
  let p = resolve(path);
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/**
 * Check, without creating anything, that a folder can be created or written at `dir`: the
 * nearest existing ancestor is a folder we may write to (a read-only filesystem is caught
 * here too). A {@link CliError} naming `option` otherwise.
 */
export function checkFolderWritable(dir: string, option: string): void {
  const full = resolve(dir);
  if (existsSync(full) && !statSync(full).isDirectory())
    throw new CliError(`${option} ${dir} exists and is not a directory`);
  const base = nearestExisting(full);
  if (!statSync(base).isDirectory())
    throw new CliError(`${option} ${dir}: ${base} is a file, not a directory`);
  try {
    accessSync(base, constants.W_OK);
  } catch (err) {
    throw new CliError(
      `${option} ${dir}: cannot write in ${base} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/** Whether a process with this pid is alive (EPERM: alive, owned by someone else). */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Name of the lock file inside an output folder. */
export const LOCK_FILE = ".scribe.lock";

/** An output folder held by this run (see {@link claimOutputFolder}). */
export interface OutputFolder {
  /** The folder. */
  readonly dir: string;
  /** Give up the lock (idempotent). */
  release(): void;
  /** After a failed run: give up the lock and remove the folder if this run created it and it is empty. */
  abandon(): void;
}

/**
 * Create (if needed) and lock the output folder `dir` before the work starts. Writing the
 * lock file is the real writability check. The lock holds this process's pid; a lock whose
 * pid is alive makes this a {@link CliError} ("in use"), one whose pid is dead is taken over.
 * The lock is also dropped when the process exits.
 */
export function claimOutputFolder(dir: string, option = "--out"): OutputFolder {
  checkFolderWritable(dir, option);
  const full = resolve(dir);
  let created: string | undefined;
  try {
    created = mkdirSync(full, { recursive: true });
  } catch (err) {
    throw new CliError(
      `${option} ${dir}: cannot create the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const lock = join(full, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, started: new Date().toISOString() });
  const removeCreated = () => {
    if (created === undefined) return;
    // remove the folders this run made, deepest first, while they are empty
    for (let p = full; p.length >= created.length; p = dirname(p)) {
      try {
        if (readdirSync(p).length > 0) break;
        rmdirSync(p);
      } catch {
        break;
      }
      if (p === created) break;
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, mine, { flag: "wx" });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" || attempt > 0) {
        removeCreated();
        if (code === "EEXIST")
          throw new CliError(`${option} ${dir} is in use by another scribe run (lock ${lock})`);
        throw new CliError(
          `${option} ${dir}: cannot write in the folder (${code ?? (err as Error).message})`,
        );
      }
      let owner: { pid?: number; started?: string } = {};
      try {
        owner = JSON.parse(readFileSync(lock, "utf8")) as typeof owner;
      } catch {
        // unreadable or half-written lock: treat as stale
      }
      if (owner.pid !== undefined && owner.pid !== process.pid && isAlive(owner.pid))
        throw new CliError(
          `${option} ${dir} is in use by another scribe run (pid ${owner.pid}${owner.started ? `, started ${owner.started}` : ""}); wait for it to end or stop it`,
        );
      rmSync(lock, { force: true }); // stale: its owner is gone
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    try {
      if (readFileSync(lock, "utf8") === mine) rmSync(lock, { force: true });
    } catch {
      // already gone
    }
  };
  process.on("exit", release);
  return {
    dir: full,
    release,
    abandon() {
      release();
      removeCreated();
    },
  };
}

/**
 * A content fingerprint of a count matrix with its cell and gene names: SHA-256 over the
 * shape, the names, and the nonzero entries in row-major order (so dense, CSR and CSC storage
 * of the same matrix agree, and permuting cells or genes changes it).
 */
export function dataFingerprint(m: Matrix, obsNames: readonly string[], varNames: readonly string[]): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ shape: m.shape, obs: obsNames, var: varNames }));
  const csr = toCsr(m);
  const [rows] = csr.shape;
  const row: [number, number][] = [];
  const buf = Buffer.alloc(12);
  for (let i = 0; i < rows; i++) {
    row.length = 0;
    for (let k = csr.indptr[i]!; k < csr.indptr[i + 1]!; k++)
      if (csr.data[k] !== 0) row.push([csr.indices[k]!, csr.data[k]!]);
    row.sort((a, b) => a[0] - b[0]);
    buf.writeInt32LE(-1 - i, 0); // row marker
    h.update(buf.subarray(0, 4));
    for (const [j, v] of row) {
      buf.writeInt32LE(j, 0);
      buf.writeDoubleLE(v, 4);
      h.update(buf);
    }
  }
  return h.digest("hex");
}

/** What `run.json` records about a run in an output folder. */
export interface RunRecord {
  /** Always "scribe-run". */
  format: "scribe-run";
  /** Record version. */
  version: 1;
  /** The data argument as given. */
  data: string;
  /** Cells × genes. */
  shape: [number, number];
  /** {@link dataFingerprint} of the fitted matrix. */
  fingerprint: string;
  /** Which matrix of the data was fitted (X, a layer, or raw). */
  matrix: string;
}

/** Name of the run record inside an output folder. */
export const RUN_FILE = "run.json";

/** The SVI checkpoint of a run in its output folder (`scribe fit --resume` continues from it). */
export const CHECKPOINT_FILE = "checkpoint.ckpt";

/** Write `run.json` into `dir` (atomically). */
export function writeRunRecord(dir: string, rec: RunRecord): void {
  writeFileAtomic(join(dir, RUN_FILE), `${JSON.stringify(rec, null, 2)}\n`);
}

/**
 * Before a resume: the data must be the data the checkpoint was made from. Refuses (with the
 * two fingerprints' sources in the message) when `run.json` is missing or records other data.
 */
export function checkResumeData(dir: string, rec: RunRecord): void {
  const path = join(dir, RUN_FILE);
  if (!existsSync(path))
    throw new CliError(
      `--resume: ${path} is missing, so the checkpoint cannot be tied to this data; remove the checkpoint to start afresh`,
    );
  let old: Partial<RunRecord>;
  try {
    old = JSON.parse(readFileSync(path, "utf8")) as Partial<RunRecord>;
  } catch (err) {
    throw new CliError(`--resume: cannot read ${path}: ${(err as Error).message}`);
  }
  if (old.fingerprint !== rec.fingerprint || old.matrix !== rec.matrix) {
    const what =
      old.matrix !== rec.matrix
        ? `matrix ${old.matrix} vs ${rec.matrix}`
        : "the counts or the cell/gene names differ";
    throw new CliError(
      `--resume: the checkpoint in ${dir} was made from other data (${old.data ?? "?"}, ${old.shape?.join(" × ") ?? "?"}) than ${rec.data} (${rec.shape.join(" × ")}): ${what}; refit without --resume or use another --out`,
    );
  }
}
