import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../packages", import.meta.url));

/** Files that are Node-only entry points and may import `node:` modules. */
const NODE_ONLY = [
  /^scribe-models\/src\/io\/(h5ad.*|tenx|node|h5-boolattr|h5-runtime)\.ts$/,
  /^scribe-models\/src\/cli\//,
  /^core\/src\/node\//,
  // by convention, files named *-node.ts (and their workers) are Node-only entry points
  /-node(-worker)?\.ts$/,
  /^infer\/src\/mcmc\/parallel-worker\.ts$/,
];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === "node_modules" || f === "dist") return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("runtime portability", () => {
  it("no file outside the Node-only entry points imports a node: module (browsers and Deno load the rest)", () => {
    const offenders = walk(root)
      .map((p) => relative(root, p))
      .filter((rel) => !NODE_ONLY.some((re) => re.test(rel)))
      .filter((rel) =>
        /from\s+["']node:|import\(["']node:|require\(["']node:/.test(readFileSync(join(root, rel), "utf8")),
      );
    expect(offenders).toEqual([]);
  });
});
