import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@scribe/core";
import * as rawRandom from "@scribe/core/random/index.js";
import * as distributions from "@scribe/distributions";
import * as infer from "@scribe/infer";
import * as inferNode from "@scribe/infer/node";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Every `@example` in the TSDoc of the packages runs here, with the packages' exports in
 * scope (import lines in examples are dropped). An example that throws fails the test.
 * An example that continues a reader's code (it uses a `model` or data defined elsewhere)
 * starts with a `// fragment` comment: it is only checked to be valid TypeScript.
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

// Examples see every package's exports (a reader copies them into a file importing what
// they use); the typed-array random module's examples use its own functions (uniform, ...).
const everything = {
  // namespaces whose members the examples use by name (package exports win on clashes)
  ...(infer.nn as Record<string, unknown>),
  ...(infer.diagnostics as Record<string, unknown>),
  ...(core as Record<string, unknown>),
  ...(distributions as Record<string, unknown>),
  ...(inferNode as Record<string, unknown>),
};
const scopes: Record<string, Record<string, unknown>> = {
  all: everything,
  rawRandom: { ...everything, ...(rawRandom as Record<string, unknown>) },
};
const cases = ["core", "distributions", "infer"].flatMap((pkg) =>
  walk(join(root, pkg, "src")).flatMap((f) =>
    examplesOf(f).map((code, i) => ({
      name: `${relative(root, f)} #${i + 1}`,
      code,
      scope: relative(root, f).startsWith("core/src/random/") ? "rawRandom" : "all",
    })),
  ),
);

describe("TSDoc @example blocks run", () => {
  it("found examples to run", () => expect(cases.length).toBeGreaterThan(3));
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_n, c) => {
    const out = ts.transpileModule(c.code, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None },
      reportDiagnostics: true,
    });
    expect(out.diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")) ?? []).toEqual(
      [],
    );
    if (/^\s*\/\/ fragment/.test(c.code)) return;
    const js = out.outputText;
    const scope = scopes[c.scope]!;
    const names = Object.keys(scope).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
    // examples may await (fit, MCMC.run): run each as an async function body
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...a: string[]
    ) => (...v: unknown[]) => Promise<unknown>;
    const fn = new AsyncFunction(...names, `"use strict";\n${js}`);
    await expect(fn(...names.map((k) => scope[k]))).resolves.not.toThrow();
  });
});
