import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";

/** What one in-process `scribe` invocation printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `scribe` command in this process with its output captured (no TTY). */
export async function cliInProcess(args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
