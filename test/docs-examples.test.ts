import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@scribe/core";
import * as rawRandom from "@scribe/core/random/index.js";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Every `@example` in the TSDoc of the packages runs here, with the package's exports in
 * scope (import lines in examples are dropped). An example that throws fails the test.
 */
const root = fileURLToPath(new URL("../packages", import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === "node_modules" || f === "dist") return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function examplesOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const block of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const lines = block[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
    let cur: string[] | null = null;
    for (const l of lines) {
      if (/^@example/.test(l)) {
        if (cur) out.push(cur.join("\n"));
        cur = [];
      } else if (cur && /^@\w/.test(l)) {
        out.push(cur.join("\n"));
        cur = null;
      } else if (cur) cur.push(l);
    }
    if (cur) out.push(cur.join("\n"));
  }
  return out
    .map((e) => e.replace(/```\w*/g, "").replace(/^\s*import .*$/gm, ""))
    .filter((e) => e.trim().length > 0);
}

// Examples in the typed-array random module use its own functions (uniform, binomial, ...).
const scopes: Record<string, Record<string, unknown>> = {
  core: core as Record<string, unknown>,
  rawRandom: { ...(core as Record<string, unknown>), ...(rawRandom as Record<string, unknown>) },
};
const cases = walk(join(root, "core", "src")).flatMap((f) =>
  examplesOf(f).map((code, i) => ({
    name: `${relative(root, f)} #${i + 1}`,
    code,
    scope: relative(root, f).startsWith("core/src/random/") ? "rawRandom" : "core",
  })),
);

describe("TSDoc @example blocks run", () => {
  it("found examples to run", () => expect(cases.length).toBeGreaterThan(3));
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const js = ts.transpileModule(c.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None } }).outputText;
    const scope = scopes[c.scope]!;
    const names = Object.keys(scope).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
    const fn = new Function(...names, `"use strict";\n${js}`);
    expect(() => fn(...names.map((k) => scope[k]))).not.toThrow();
  });
});
