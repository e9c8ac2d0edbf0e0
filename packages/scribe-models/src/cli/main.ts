/**
 * The `scribe` command line: global options and subcommand dispatch.
 *
 * Subcommands live in the {@link commands} table; each has a one-line summary, a help
 * text and a `run` function (absent for commands that are announced but not yet
 * implemented, which then exit with status 2). To add one, write `src/cli/<name>.ts`
 * exporting `run<Name>(argv, io)` and its help text, and fill in its entry here.
 *
 * Exit status: 0 success, 1 runtime error, 2 usage error; messages go to stderr.
 *
 * Node-only. Run as a program (`node --import tsx src/cli/main.ts ...`,
 * `bin/scribe.js`) it executes {@link runCli} on `process.argv`.
 * @module
 */
import { readFileSync, realpathSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { disableThreads, enableThreads } from "@scribe/core/node";
import { COMPARE_HELP, runCompare } from "./compare.js";
import { COMPARE_MODELS_HELP, runCompareModels } from "./compare-models.js";
import { DE_HELP, runDe } from "./de.js";
import { FIT_HELP, runFit } from "./fit.js";
import {
  CliError,
  type CliIO,
  EXIT_OK,
  EXIT_RUNTIME,
  EXIT_USAGE,
  oneLine,
  processIO,
  UsageError,
} from "./util.js";
import { runVisualize, VISUALIZE_HELP } from "./visualize.js";

/** A `scribe` subcommand. */
export interface Command {
  /** One line for the command list of `scribe --help`. */
  summary: string;
  /** Full help text (`scribe CMD --help`). */
  help?: string;
  /** Runs the command on the arguments after its name; absent until implemented. */
  run?: (argv: readonly string[], io: CliIO) => Promise<number>;
}

/** The subcommands, by name. */
export const commands: Record<string, Command> = {
  "compare-models": {
    summary: "compare fits of the same data (PSIS-LOO, stacking, goodness of fit)",
    help: COMPARE_MODELS_HELP,
    run: runCompareModels,
  },
  compare: {
    summary: "Bayesian differential expression between two fits (lfsr, PEFP)",
    help: COMPARE_HELP,
    run: runCompare,
  },
  de: { summary: "differential expression between two conditions", help: DE_HELP, run: runDe },
  fit: {
    summary: "fit a SCRIBE model (nbdm, zinb, nbvcp, zinbvcp, twostate, twostatevcp, mixtures)",
    help: FIT_HELP,
    run: runFit,
  },
  visualize: {
    summary: "plots of a fit folder and DE tables (SVG/PNG and an index.html)",
    help: VISUALIZE_HELP,
    run: runVisualize,
  },
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Help text of `scribe` itself. */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join("\n");
  return `Usage: scribe COMMAND [options]

SCRIBE single-cell and bulk RNA-seq tools.

Commands:
${list}

Options:
  -h, --help     show this help (scribe COMMAND --help for a command's options)
  -V, --version  print the version
  --threads N    split large CPU kernels over N threads (any command; default: the
                 SCRIBE_THREADS environment variable, else every core)

Exit status: 0 ok, 1 runtime error, 2 usage error.
`;
}

/**
 * Take `--threads N` (any command) out of `argv` and apply it: large CPU kernels are split
 * over N threads (1: no worker threads). Returns the remaining arguments; a {@link UsageError}
 * for a value that is not a positive integer.
 */
export function applyThreadsOption(argv: readonly string[]): string[] {
  const out: string[] = [];
  let threads: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (a === "--threads") {
      threads = argv[++i];
      if (threads === undefined) throw new UsageError("option '--threads N' needs a value");
    } else if (a.startsWith("--threads=")) threads = a.slice("--threads=".length);
    else out.push(a);
  }
  if (threads !== undefined) {
    const n = Number(threads);
    if (!/^\s*[+-]?\d+\s*$/.test(threads) || !Number.isInteger(n) || n < 1)
      throw new UsageError(`--threads must be a positive integer, got ${JSON.stringify(threads)}`);
    if (n > 1) enableThreads(n);
    else disableThreads();
  }
  return out;
}

/**
 * Run the `scribe` command line on `argv` (the arguments after the program name) and
 * return the exit status. Never throws: errors are written to `io.stderr` as one line
 * (`scribe CMD: error: ...`), usage errors with a pointer to `--help`. With the
 * environment variable `SCRIBE_DEBUG` set, runtime errors also print their stack.
 * @example
 * ```ts
 * const status = await runCli(["de", "data.h5ad", "--condition", "sex", "--reference", "Female"]);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(mainHelp());
    return EXIT_USAGE;
  }
  if (first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined && commands[topic]?.help) io.stdout(commands[topic].help);
    else io.stdout(mainHelp());
    return EXIT_OK;
  }
  if (first === "-V" || first === "--version") {
    io.stdout(`scribe ${version()}\n`);
    return EXIT_OK;
  }
  if (first.startsWith("-")) {
    io.stderr(`scribe: error: unknown option ${first}; run 'scribe --help' for usage\n`);
    return EXIT_USAGE;
  }
  let args: string[];
  try {
    args = applyThreadsOption(rest);
  } catch (err) {
    io.stderr(
      `scribe ${first}: error: ${oneLine((err as Error).message)}; run 'scribe ${first} --help' for usage\n`,
    );
    return EXIT_USAGE;
  }
  const cmd = Object.hasOwn(commands, first) ? commands[first] : undefined;
  if (!cmd) {
    io.stderr(
      `scribe: error: unknown command "${first}"; available: ${Object.keys(commands).join(", ")} ` +
        "(run 'scribe --help')\n",
    );
    return EXIT_USAGE;
  }
  if (!cmd.run) {
    io.stderr(`scribe ${first}: not yet available\n`);
    return EXIT_USAGE;
  }
  try {
    return await cmd.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`scribe ${first}: error: ${oneLine(err.message)}; run 'scribe ${first} --help' for usage\n`);
      return EXIT_USAGE;
    }
    const msg = err instanceof Error ? err.message : String(err);
    io.stderr(`scribe ${first}: error: ${oneLine(msg)}\n`);
    if (process.env.SCRIBE_DEBUG && err instanceof Error) {
      const cause = err instanceof CliError && err.cause instanceof Error ? err.cause : err;
      io.stderr(`${cause.stack ?? cause.message}\n`);
    }
    return EXIT_RUNTIME;
  }
}

/** True when this module is the program being run (not imported). */
function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * The program: threads (`SCRIBE_THREADS`, default every core; `--threads N` on the command
 * line wins, see {@link runCli}), then {@link runCli}. Returns the exit status. Used by
 * `bin/scribe.js` (in its own process: the command never runs in a separate child) and when
 * this module is run directly.
 */
export async function main(argv: readonly string[]): Promise<number> {
  // Large kernels (the count-matrix passes of a fit) use every core; SCRIBE_THREADS=1 turns it off.
  const threads = Number(process.env.SCRIBE_THREADS ?? availableParallelism());
  if (threads > 1) enableThreads(threads);
  try {
    return await runCli(argv);
  } catch (err) {
    process.stderr.write(`scribe: internal error: ${String(err)}\n`);
    return EXIT_RUNTIME;
  } finally {
    disableThreads();
  }
}

if (isMain()) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
