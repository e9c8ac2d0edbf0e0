#!/usr/bin/env node
// Launcher of the `scribe` command. Runs the built dist/cli/main.js when it exists;
// otherwise (development, no build step) runs src/cli/main.ts under tsx in a child
// Node process, forwarding the arguments, stdio, signals and the exit status.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const dist = new URL("../dist/cli/main.js", import.meta.url);

if (existsSync(fileURLToPath(dist))) {
  const { runCli } = await import(dist.href);
  process.exitCode = await runCli(args);
} else {
  const src = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
  let tsx;
  try {
    // resolved from this file, so `scribe` works from any working directory
    tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  } catch {
    process.stderr.write(
      "scribe: error: dist/cli/main.js is missing and tsx is not installed; " +
        "run 'npm install' (development) or 'npm run build'\n",
    );
    process.exit(1);
  }
  const child = spawn(process.execPath, ["--import", tsx, src, ...args], { stdio: "inherit" });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(sig, () => {
      if (child.exitCode === null) child.kill(sig);
    });
  }
  child.on("error", (err) => {
    process.stderr.write(`scribe: error: cannot start ${process.execPath}: ${err.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
