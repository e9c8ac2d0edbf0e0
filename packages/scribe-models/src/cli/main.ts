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
import { type CliIO, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, processIO } from "./cli-io.js";

/** The shared command-line helpers, imported on first use (they load the numerical packages). */
const util = () => import("./util.js");

/** What a command's module provides once loaded: its help text and its `run`. */
export interface LoadedCommand {
  /** Full help text (`scribe CMD --help`). */
  help?: string;
  /** Runs the command on the arguments after its name. */
  run: (argv: readonly string[], io: CliIO) => Promise<number>;
}

/**
 * A `scribe` subcommand. Prefer `load` (the module is imported only when the command runs,
 * so `scribe --help` starts without loading the numerical packages); `help`/`run` given
 * directly still work.
 */
export interface Command {
  /** One line for the command list of `scribe --help`. */
  summary: string;
  /** Full help text (`scribe CMD --help`), when given eagerly. */
  help?: string;
  /** Runs the command on the arguments after its name; absent until implemented. */
  run?: (argv: readonly string[], io: CliIO) => Promise<number>;
  /** Imports the command's module (lazily): its help text and run function. */
  load?: () => Promise<LoadedCommand>;
}

/** The subcommands, by name. Each `load` imports its module only when that command runs. */
export const commands: Record<string, Command> = {
  "compare-models": {
    summary: "compare fits of the same data (PSIS-LOO, stacking, goodness of fit)",
    load: async () => {
      const m = await import("./compare-models.js");
      return { help: m.COMPARE_MODELS_HELP, run: m.runCompareModels };
    },
  },
  compare: {
    summary: "Bayesian differential expression between two fits (lfsr, PEFP)",
    load: async () => {
      const m = await import("./compare.js");
      return { help: m.COMPARE_HELP, run: m.runCompare };
    },
  },
  de: {
    summary: "differential expression between two conditions",
    load: async () => {
      const m = await import("./de.js");
      return { help: m.DE_HELP, run: m.runDe };
    },
  },
  fit: {
    summary: "fit a SCRIBE model (nbdm, zinb, nbvcp, zinbvcp, twostate, twostatevcp, mixtures)",
    load: async () => {
      const m = await import("./fit.js");
      return { help: m.FIT_HELP, run: m.runFit };
    },
  },
  pseudobulk: {
    summary: "sum counts per group of cells (sample, cell type), streaming X from disk",
    load: async () => {
      const m = await import("./pseudobulk.js");
      return { help: m.PSEUDOBULK_HELP, run: m.runPseudobulk };
    },
  },
  sweep: {
    summary: "fit a grid of models (locally or as a SLURM job array) and compare them",
    load: async () => {
      const m = await import("./sweep.js");
      return { help: m.SWEEP_HELP, run: m.runSweep };
    },
  },
  visualize: {
    summary: "plots of a fit folder and DE tables (SVG/PNG and an index.html)",
    load: async () => {
      const m = await import("./visualize.js");
      return { help: m.VISUALIZE_HELP, run: m.runVisualize };
    },
  },
};

/** The command's help text and run function, importing its module when it is lazy. */
export async function loadCommand(cmd: Command): Promise<LoadedCommand | null> {
  if (cmd.load) return cmd.load();
  return cmd.run ? { ...(cmd.help !== undefined ? { help: cmd.help } : {}), run: cmd.run } : null;
}

/** `@scribe/core/node`'s thread switches, imported on first use (it loads the tensor core). */
async function threadSwitches(): Promise<typeof import("@scribe/core/node")> {
  return import("@scribe/core/node");
}

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
 * over N threads (1: no worker threads). Returns the remaining arguments; a `UsageError`
 * for a value that is not a positive integer.
 */
export async function applyThreadsOption(argv: readonly string[]): Promise<string[]> {
  const { UsageError } = await util();
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
    const { enableThreads, disableThreads } = await threadSwitches();
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
    const found = topic !== undefined && Object.hasOwn(commands, topic) ? commands[topic] : undefined;
    const help = found ? (await loadCommand(found))?.help : undefined;
    io.stdout(help ?? mainHelp());
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
  const { CliError, oneLine, UsageError } = await util();
  let args: string[];
  try {
    args = await applyThreadsOption(rest);
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
  if (!cmd.run && !cmd.load) {
    io.stderr(`scribe ${first}: not yet available\n`);
    return EXIT_USAGE;
  }
  try {
    const loaded = await loadCommand(cmd);
    if (!loaded) throw new Error(`command ${first} has no implementation`);
    return await loaded.run(args, io);
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
  // help and version need no tensor core: load it (and start threads) only for a command
  const [first] = argv;
  const light = first === undefined || ["-h", "--help", "help", "-V", "--version"].includes(first);
  const switches = light ? null : await threadSwitches();
  if (switches && threads > 1) switches.enableThreads(threads);
  try {
    return await runCli(argv);
  } catch (err) {
    process.stderr.write(`scribe: internal error: ${String(err)}\n`);
    return EXIT_RUNTIME;
  } finally {
    switches?.disableThreads();
  }
}

if (isMain()) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
