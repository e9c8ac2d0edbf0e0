#!/usr/bin/env node
// Launcher of the `scribe` command. In a source checkout (src/ and tsx present) it runs
// src/cli/main.ts under tsx in a child Node process, so a stale build can never answer;
// an installed package without tsx runs the built dist/cli/main.js.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const dist = new URL("../dist/cli/main.js", import.meta.url);

let tsxUrl = null;
try {
  // resolved from this file, so `scribe` works from any working directory
  tsxUrl = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
} catch {
  tsxUrl = null;
}
const srcMain = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const useSource = tsxUrl !== null && existsSync(srcMain);

if (!useSource && existsSync(fileURLToPath(dist))) {
  const { runCli } = await import(dist.href);
  process.exitCode = await runCli(args);
} else {
  if (tsxUrl === null) {
    process.stderr.write(
      "scribe: error: dist/cli/main.js is missing and tsx is not installed; " +
        "run 'npm install' (development) or 'npm run build'\n",
    );
    process.exit(1);
  }
  const child = spawn(process.execPath, ["--import", tsxUrl, srcMain, ...args], { stdio: "inherit" });
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
