import { readFileSync } from "node:fs";
import * as core from "@scribe/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webgpu } from "./gpu-env.js";
import {
  type FnSummary,
  type Outcome,
  type RefCase,
  report,
  runSpecialRefvec,
  summarize,
  TOLERANCES,
} from "./special-refvec-lib.js";

/**
 * Every function of the mpmath reference vectors on WebGPU in float32, against the reference
 * values with the float32 tolerances of special-refvec-lib.ts (a few ulp of the result plus
 * the change of f under one float32 rounding of each input; see there). The same comparison
 * runs under Deno in test/deno/webgpu-special.ts.
 */
const cases = JSON.parse(
  readFileSync(new URL("../fixtures/refvec/special_functions.json", import.meta.url), "utf8"),
) as RefCase[];
const fns = [...new Set(cases.map((c) => c.fn))];

describe.skipIf(!webgpu)("special functions on WebGPU vs the mpmath reference vectors (float32)", () => {
  let outcomes: Outcome[] = [];
  let summaries: FnSummary[] = [];
  // One GPU evaluation for the whole file (a dispatch per function), judged per function below.
  beforeAll(async () => {
    outcomes = await runSpecialRefvec(core, webgpu!, cases);
    summaries = summarize(outcomes);
  }, 300_000);
  afterAll(() =>
    console.log(`WebGPU special functions vs mpmath (float32):\n${report(summaries, outcomes)}`),
  );

  it("every reference function has a float32 tolerance", () => {
    for (const fn of fns) expect(TOLERANCES[fn], fn).toBeDefined();
  });

  it.each(fns)("%s", (fn) => {
    const s = summaries.find((x) => x.fn === fn)!;
    const failures = s.failed.map(
      (o) => `${o.label}: got ${o.got}, want ${o.want} (err ${o.err}, tol ${o.tol})`,
    );
    expect(failures, fn).toEqual([]);
    expect(s.checked, `${fn}: cases compared`).toBeGreaterThanOrEqual(5);
  });

  it("compares most of the file", () => {
    const checked = outcomes.filter((o) => o.status !== "skip").length;
    expect(checked).toBeGreaterThan(220);
  });
});
