#!/usr/bin/env node
// Launcher of the `scribe` command. It runs the command in this very process (no child
// process that could outlive a killed launcher and keep writing into --out): in a source
// checkout (src/ and tsx present) it registers tsx's loader and imports src/cli/main.ts, so a
// stale build can never answer; an installed package without tsx imports dist/cli/main.js.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const dist = new URL("../dist/cli/main.js", import.meta.url);
const src = new URL("../src/cli/main.ts", import.meta.url);

/** tsx's loader API, or null when tsx is not installed. */
async function tsxApi() {
  try {
    return await import("tsx/esm/api");
  } catch {
    return null;
  }
}

let entry = null;
const api = existsSync(fileURLToPath(src)) ? await tsxApi() : null;
if (api !== null) {
  api.register();
  entry = src;
} else if (existsSync(fileURLToPath(dist))) {
  entry = dist;
} else {
  process.stderr.write(
    "scribe: error: dist/cli/main.js is missing and tsx is not installed; " +
      "run 'npm install' (development) or 'npm run build'\n",
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(args);
