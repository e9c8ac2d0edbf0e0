/**
 * The output sinks and exit statuses of the `scribe` command line, in a module that imports
 * nothing: `scribe --help` answers from here without loading the numerical packages
 * (`util.ts` re-exports all of it for the commands).
 *
 * Node-only: writes to `process.stdout` / `process.stderr`.
 * @module
 */

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface CliIO {
  /** Write to standard output (the text is written as is; add the newline). */
  stdout(text: string): void;
  /** Write to standard error (the text is written as is; add the newline). */
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress is then rewritten in place). */
  stderrIsTTY: boolean;
  /** Clock in milliseconds (default `performance.now`); injectable for tests. */
  now?: () => number;
}

/** The process's real streams. */
export function processIO(): CliIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}

/** Exit status of a successful run. */
export const EXIT_OK = 0;
/** Exit status of a runtime error (bad data, unreadable file, failed fit). */
export const EXIT_RUNTIME = 1;
/** Exit status of a usage error (unknown option, missing argument, bad value). */
export const EXIT_USAGE = 2;
