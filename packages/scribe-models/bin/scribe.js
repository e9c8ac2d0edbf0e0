#!/usr/bin/env node
// Launcher of the `scribe` command. It runs the command in this very process (no child
// process that could outlive a killed launcher and keep writing into --out).
//
// It starts from the built JavaScript (dist/cli/main.js, written by `npm run build`, which
// `npm ci` / `npm install` run as the workspace's `prepare` script): plain Node, no
// TypeScript loader, so `scribe --help` answers in a fraction of a second and h5wasm is not
// re-parsed by a loader on every start. The TypeScript sources are used instead, through
// tsx, when the build is missing or older than a source file of the workspace packages (a
// source checkout being edited: a stale build never answers). SCRIBE_LAUNCH=source or
// SCRIBE_LAUNCH=build forces one or the other; with SCRIBE_DEBUG set, the choice is printed.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const dist = new URL("../dist/cli/main.js", import.meta.url);
const src = new URL("../src/cli/main.ts", import.meta.url);
/** The folder holding this package and its siblings (packages/ in the workspace, node_modules/@scribe installed). */
const siblings = new URL("../../", import.meta.url);
/** The packages whose build the command runs on. */
const PACKAGES = ["core", "distributions", "infer", "scribe-models"];

/** Newest modification time (ms) of the .ts files under `dir` (0 when there are none). */
function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Whether every package's build is at least as new as its sources. A package is judged by its
 * build-info file (written by `tsc -b` at the end of each build); a package without one (an
 * installed copy) is taken as built.
 */
function buildIsCurrent() {
  for (const name of PACKAGES) {
    const root = fileURLToPath(new URL(`${name}/`, siblings));
    const info = `${root}tsconfig.build.tsbuildinfo`;
    if (!existsSync(info)) continue;
    if (newestSource(`${root}src`) > statSync(info).mtimeMs) return false;
  }
  return true;
}

/** tsx's loader API, or null when tsx is not installed. */
async function tsxApi() {
  try {
    return await import("tsx/esm/api");
  } catch {
    return null;
  }
}

const haveDist = existsSync(fileURLToPath(dist));
const haveSrc = existsSync(fileURLToPath(src));
const forced = process.env.SCRIBE_LAUNCH;
if (forced !== undefined && forced !== "source" && forced !== "build") {
  process.stderr.write(`scribe: error: SCRIBE_LAUNCH must be 'source' or 'build', got '${forced}'\n`);
  process.exit(2);
}
const fromSource = forced === "source" || (forced !== "build" && (!haveDist || !buildIsCurrent()));
let entry = null;
const api = haveSrc && fromSource ? await tsxApi() : null;
if (api !== null) {
  api.register();
  entry = src;
} else if (haveDist && forced !== "source") {
  entry = dist;
} else {
  process.stderr.write(
    forced === "source"
      ? "scribe: error: SCRIBE_LAUNCH=source needs src/cli/main.ts and the tsx package\n"
      : "scribe: error: dist/cli/main.js is missing and tsx is not installed; " +
          "run 'npm install' (development) or 'npm run build'\n",
  );
  process.exit(1);
}
if (process.env.SCRIBE_DEBUG) process.stderr.write(`scribe: launching ${fileURLToPath(entry)}\n`);
const { main } = await import(entry.href);
process.exitCode = await main(args);
