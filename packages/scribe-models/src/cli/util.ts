/**
 * Shared pieces of the `scribe` command line: the output sinks, the two error kinds
 * (usage vs runtime), option parsing with clear messages, the stage/progress reporter
 * and an atomic text-file writer.
 *
 * Node-only: uses `node:fs`, `node:path`, `node:util`.
 * @module
 */
import { closeSync, existsSync, openSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { describeFsError, temporaryPathFor, writeTextFileAtomicSync } from "../persist/atomic-file-node.js";
import type { CliIO } from "./cli-io.js";

export { type CliIO, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, processIO } from "./cli-io.js";

/** A command-line usage error: reported with a pointer to `--help`, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A runtime error with a message meant for the user as is (exit status 1). */
export class CliError extends Error {
  override name = "CliError";
}

/** The parsed options and positionals of {@link parseCommandArgs}. */
export interface ParsedArgs {
  /** Option values by long name (strings, or booleans for flags). */
  values: Record<string, string | boolean | undefined>;
  /** Positional arguments, in order. */
  positionals: string[];
}

/**
 * Parse `argv` with `node:util` `parseArgs` (strict, positionals allowed), turning its
 * errors (unknown option, missing value, flag given a value) into {@link UsageError}s
 * that name the offending option.
 */
export function parseCommandArgs(argv: readonly string[], options: ParseArgsConfig["options"]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(argv, options),
      options,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code?.startsWith("ERR_PARSE_ARGS")) {
      // parseArgs' hint about '--' is noise here; keep the first sentence.
      const first = e.message.split(/\.\s/)[0]!.replace(/\.$/, "");
      throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1));
    }
    throw err;
  }
}

/**
 * `--opt -3` → `--opt=-3` for string options, so that a negative number reaches the option's
 * own check ("must be positive") instead of parseArgs' "argument is ambiguous".
 */
function joinNegativeValues(argv: readonly string[], options: ParseArgsConfig["options"]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith("--") ? a.slice(2) : undefined;
    if (
      name !== undefined &&
      options?.[name]?.type === "string" &&
      next !== undefined &&
      /^-(\d|\.\d|inf|Infinity|nan|NaN)/i.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
    if (a === "--") {
      out.push(...argv.slice(i + 1));
      break;
    }
  }
  return out;
}

/** Require a string option; a {@link UsageError} naming it when absent or empty. */
export function requireString(values: ParsedArgs["values"], name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`missing required option --${name}`);
  return v;
}

/** Check an option value against a fixed set; a {@link UsageError} listing the choices otherwise. */
export function choice<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
  dflt: T,
): T {
  if (value === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `invalid value ${JSON.stringify(value)} for --${name}; expected one of ${allowed.join(", ")}`,
    );
  }
  return value as T;
}

/** Collapse a message to one line (error messages are printed one per line). */
export function oneLine(msg: string): string {
  return msg.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Stage reporter for long runs. On a terminal one status line is rewritten in place
 * (`scribe de: fitting… 3.2 s`) and finished with the total time; otherwise each stage
 * prints one line when it starts, prefixed with the elapsed time since the start.
 */
export class Progress {
  private readonly t0: number;
  private stage: string | undefined;
  private stageStart = 0;
  private readonly now: () => number;

  /**
   * @param io output sinks (progress goes to stderr)
   * @param prefix line prefix, e.g. `"scribe de"`
   * @param enabled false silences everything (`--quiet`)
   */
  constructor(
    private readonly io: CliIO,
    private readonly prefix: string,
    private readonly enabled = true,
  ) {
    this.now = io.now ?? (() => performance.now());
    this.t0 = this.now();
  }

  private secs(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
  }

  /** Start a stage (ends the previous one). */
  start(stage: string): void {
    this.end();
    this.stage = stage;
    this.stageStart = this.now();
    if (!this.enabled) return;
    if (this.io.stderrIsTTY) this.io.stderr(`\r\x1b[K${this.prefix}: ${stage}…`);
    else this.io.stderr(`${this.prefix}: [${this.secs(this.stageStart - this.t0)}] ${stage}\n`);
  }

  /** End the current stage (on a terminal: print its time and move to a new line). */
  end(): void {
    if (this.stage === undefined) return;
    if (this.enabled && this.io.stderrIsTTY) {
      this.io.stderr(`\r\x1b[K${this.prefix}: ${this.stage} (${this.secs(this.now() - this.stageStart)})\n`);
    }
    this.stage = undefined;
  }

  /** End the current stage and print the total time. */
  done(): void {
    this.end();
    if (this.enabled) this.io.stderr(`${this.prefix}: done in ${this.secs(this.now() - this.t0)}\n`);
  }

  /** Abandon the status line after an error (so the error starts on a fresh line). */
  abort(): void {
    if (this.stage !== undefined && this.enabled && this.io.stderrIsTTY) this.io.stderr("\n");
    this.stage = undefined;
  }
}

/**
 * Check that a file can be written at `path` before a long computation: its directory exists,
 * `path` is not a directory, and a file can really be created there (a probe file is written
 * and removed, which catches read-only filesystems and permissions). A {@link CliError}
 * otherwise.
 */
export function checkWritable(path: string): void {
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CliError(`cannot write ${path}: directory ${dir} does not exist`);
  if (existsSync(full) && statSync(full).isDirectory())
    throw new CliError(`cannot write ${path}: it is a directory`);
  const probe = temporaryPathFor(full);
  try {
    closeSync(openSync(probe, "wx"));
  } catch (err) {
    throw new CliError(`cannot write ${path}: ${describeFsError(err)}`);
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * Write a text file atomically and verified (temporary file, fsync, read back, rename; see
 * persist/atomic-file-node.ts): a failure leaves neither a partial file nor a changed
 * existing one, and is a {@link CliError} naming the path and the cause.
 */
export function writeFileAtomic(path: string, text: string): void {
  try {
    writeTextFileAtomicSync(path, text);
  } catch (err) {
    throw new CliError((err as Error).message, { cause: err });
  }
}
