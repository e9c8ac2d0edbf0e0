/**
 * The terminal that progress bars draw on: stderr when it is a TTY. No `node:` imports: in
 * a browser there is no `process.stderr` and nothing is drawn.
 * @module
 */

/** The part of a writable terminal stream a progress bar uses. */
export interface Tty {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** `process.stderr` when it is a terminal, else undefined. */
export function stderrTty(): Tty | undefined {
  const p = (globalThis as { process?: { stderr?: Tty } }).process;
  return p?.stderr?.isTTY ? p.stderr : undefined;
}
