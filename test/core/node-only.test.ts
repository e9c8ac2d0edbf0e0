// Node-only features reached from browser-safe code (checkpoints, results files, parallel
// chains) load their modules through loadNodeOnly, so a browser bundle, where package.json's
// "browser" field maps those modules to an empty stub, gets an error naming the feature
// instead of "x is not a function".
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNodeOnly } from "@scribe/core";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../packages", import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === "node_modules" || f === "dist") return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** A dynamic import of a Node-only module: a `*-node.js` file or a package's `/node` entry. */
const NODE_ONLY_IMPORT = /import\(\s*["'](?:[^"']*-node\.js|@scribe\/[a-z-]+\/node)["']\s*\)/g;
/** Files that are themselves Node-only, where a plain dynamic import is fine. */
const NODE_ONLY_FILE = [/-node(-worker)?\.ts$/, /^scribe-models\/src\/cli\//, /^core\/src\/node\//];

describe("loadNodeOnly", () => {
  it("returns the module when the export is a function", async () => {
    const mod = await loadNodeOnly("test feature", async () => ({ run: () => 7 }), "run");
    expect(mod.run()).toBe(7);
  });

  it("names the feature and the alternative for a browser stub (an empty module)", async () => {
    const stub = async () => ({}) as { saveCheckpoint: () => void };
    await expect(
      loadNodeOnly("fit: checkpoints to a file", stub, "saveCheckpoint", "fit without checkpointPath"),
    ).rejects.toThrow(
      "fit: checkpoints to a file needs Node.js (file system or worker threads) and is not available in the browser build; fit without checkpointPath",
    );
  });

  it("names the feature when the import itself fails", async () => {
    const failing = async (): Promise<{ f: () => void }> => {
      throw new Error("Cannot find module 'node:fs'");
    };
    await expect(loadNodeOnly("writing out.json", failing, "f")).rejects.toThrow(
      /^writing out\.json needs Node\.js .*could not be loaded here: Cannot find module 'node:fs'/,
    );
  });

  it("every dynamic import of a Node-only module in browser-safe code goes through it", () => {
    const offenders: string[] = [];
    for (const path of walk(root)) {
      const rel = relative(root, path);
      if (NODE_ONLY_FILE.some((re) => re.test(rel))) continue;
      const text = readFileSync(path, "utf8");
      for (const m of text.matchAll(NODE_ONLY_IMPORT)) {
        const lineStart = text.lastIndexOf("\n", m.index) + 1;
        if (/^\s*(\*|\/\/)/.test(text.slice(lineStart, m.index))) continue; // in a comment
        // the import must be the loader argument of a loadNodeOnly call just before it
        const before = text.slice(Math.max(0, m.index - 200), m.index);
        if (!/loadNodeOnly\([^;]*$/.test(before)) offenders.push(`${rel}: ${m[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
