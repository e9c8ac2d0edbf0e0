/**
 * `scribe fit --guide-flow KIND --guide-flow-joint` (fit's `guideFlowOptions.independent:
 * false`): the written params.json holds one joint flow over the gene-level parameters
 * (`joint_flow_*` params, no per-parameter `r_flow_*`/`p_flow_*`) and records the option, where
 * the same command without the flag writes per-parameter flows; the flag without a flow guide
 * is a usage error naming it; `scribe fit --help` lists it in the Guide group and the
 * `--initialize` template states its default. A 20 × 4 NB data set, 5 steps (the check is of
 * which guide was built, not of a converged fit).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { rng } from "./vae-helpers.js";

const C = 20;
const G = 4;
let dir: string;
let tenx: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-flow-joint-"));
  const R = rng(5);
  const X = Float64Array.from({ length: C * G }, () => R.poisson(R.gamma(2) * 1.5));
  tenx = join(dir, "tenx");
  await write10x(
    tenx,
    createAnnData({
      X: { format: "dense", data: X, shape: [C, G] },
      obs: Array.from({ length: C }, (_, i) => `c${i}`),
      var: Array.from({ length: G }, (_, j) => `g${j}`),
    }),
  );
});

/** params.json of a 5-step nbdm fit with the affine-coupling flow guide and `extra` flags. */
async function fitParams(name: string, extra: string[]) {
  const out = join(dir, name);
  const common = ["--model", "nbdm", "--n-steps", "5", "--n-samples", "4", "--seed", "1", "-q"];
  const r = await cli(["fit", tenx, ...common, "--guide-flow", "affine_coupling", ...extra, "--out", out]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as {
    options: { guideFlowOptions?: { independent?: boolean } };
    params: Record<string, unknown>;
  };
}

describe("scribe fit --guide-flow-joint", () => {
  it("writes one joint flow (joint_flow_* params, independent false); without it one flow per parameter", async () => {
    const joint = await fitParams("joint", ["--guide-flow-joint"]);
    const keys = Object.keys(joint.params);
    expect(joint.options.guideFlowOptions?.independent).toBe(false);
    expect(keys).toContain("joint_flow_loc");
    expect(keys.some((k) => k.startsWith("joint_flow$params."))).toBe(true);
    expect(keys.filter((k) => /^(r|p)_flow/.test(k))).toEqual([]);

    const perSite = await fitParams("per-site", []);
    const pk = Object.keys(perSite.params);
    expect(perSite.options.guideFlowOptions?.independent).toBeUndefined();
    expect(pk).toContain("r_flow_loc");
    expect(pk.some((k) => k.startsWith("joint_flow"))).toBe(false);
  }, 60_000);

  it("is refused without --guide-flow, naming the flag", async () => {
    const r = await cli(["fit", tenx, "--model", "nbdm", "--guide-flow-joint", "--n-steps", "2", "-q"]);
    expect(r.code).toBe(2); // a usage error
    expect(r.stderr).toMatch(/--guide-flow-joint needs a flow guide/);
  });

  it("--help lists it under Guide; the --initialize template states its default", async () => {
    const help = await cli(["fit", "--help"]);
    expect(help.code).toBe(0);
    const guide = help.stdout.slice(help.stdout.indexOf("Guide"), help.stdout.indexOf("Inference"));
    expect(guide).toMatch(/--guide-flow-joint/);
    const tpl = join(dir, "template.yaml");
    expect((await cli(["fit", "--initialize", tpl])).code).toBe(0);
    expect(readFileSync(tpl, "utf8")).toMatch(/^guide:\n(?: {2}.*\n)*? {2}flow_joint: false$/m);
  });
});
