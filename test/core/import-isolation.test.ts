/**
 * Every module works when imported on its own: no behaviour is attached by importing some other
 * module for its side effect (issue 13, item 3). Each case clears the module registry
 * (`vi.resetModules`), imports one source module first, then what it needs to exercise one
 * behaviour from that same fresh module graph.
 *
 * Covered: every module that wires anything (tensor methods, memory scopes, distribution
 * wrappers, the param transform, KL and bijection registries, op definitions, the Dawn backend
 * loader, jit, the package entries), and a seeded sample of the other modules (all of them with
 * SCRIBE_SLOW=1), which must import without throwing.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";

const packagesDir = fileURLToPath(new URL("../../packages/", import.meta.url));
const src = (p: string) => join(packagesDir, p);

// biome-ignore lint/suspicious/noExplicitAny: modules are loaded by path, their types are not known here
type Mod = any;
const load = (p: string): Promise<Mod> => import(/* @vite-ignore */ src(p));

/** Clear the module registry, import `first`, then the helpers (from the same fresh graph). */
async function fresh(first: string, ...helpers: string[]): Promise<Mod[]> {
  vi.resetModules();
  const mods = [await load(first)];
  for (const h of helpers) mods.push(await load(h));
  return mods;
}

const CREATION = "core/src/tensor/creation.ts";
const NORMAL = "distributions/src/continuous/normal.ts";
const CONSTRAINTS = "distributions/src/constraints.ts";
const values = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

/** Expand, toEvent and mask a Normal: the distribution wrappers are connected. */
async function checkWrappers(first: string): Promise<void> {
  const [, { tensor }, { Normal }] = await fresh(first, CREATION, NORMAL);
  const d = new Normal(tensor([0, 1]), 1);
  expect(d.expand([3, 2]).batchShape).toEqual([3, 2]);
  expect(d.toEvent(1).eventShape).toEqual([2]);
  const masked = d.mask(tensor([true, false]));
  // a masked-out site contributes 0; the other keeps N(0, 1)'s log density at 0: −½·log(2π)
  expect(values(masked.logProb(tensor([0, 5])))[0]).toBeCloseTo(-0.5 * Math.log(2 * Math.PI), 6);
  expect(values(masked.logProb(tensor([0, 5])))[1]).toBe(0);
}

/** A positive param maps through exp: unconstrained 0 ↔ constrained 1 (NumPyro's biject_to). */
async function checkParamTransform(first: string): Promise<void> {
  const [, { tensor }, { positive }, { constrainParams, unconstrainParams }] = await fresh(
    first,
    CREATION,
    CONSTRAINTS,
    "infer/src/util/sites.ts",
  );
  const constraints = new Map([["s", positive]]);
  expect(values(constrainParams({ s: tensor([0, Math.log(2)]) }, constraints).s)).toEqual([1, 2]);
  expect(values(unconstrainParams({ s: tensor([1]) }, constraints).s)).toEqual([0]);
}

/** Modules whose import used to wire something, each with the behaviour that shows it works. */
const WIRING: Record<string, (path: string) => Promise<void>> = {
  "core/src/tensor/tensor.ts": async (p) => {
    const [, { tensor }] = await fresh(p, CREATION);
    expect(values(tensor([1, 2]).add(1).mul(2))).toEqual([4, 6]);
  },
  "core/src/tensor/tensor-methods.ts": async (p) => {
    const [, { zeros }] = await fresh(p, CREATION);
    expect(zeros([2, 3]).sum().item()).toBe(0);
  },
  "core/src/memory/scope.ts": async (p) => {
    const [{ scope }, { tensor }] = await fresh(p, CREATION);
    let inner!: { isDisposed: boolean };
    const out = scope(() => {
      const t = tensor([1, 2, 3]).add(1);
      inner = t;
      return t.mul(2);
    });
    expect(values(out)).toEqual([4, 6, 8]);
    expect(inner.isDisposed).toBe(true);
  },
  "core/src/memory/scope-stack.ts": async (p) => {
    const [{ openScopes }, { tensor }, { scope }] = await fresh(p, CREATION, "core/src/memory/scope.ts");
    scope(() => {
      tensor([1]);
      expect(openScopes[openScopes.length - 1].size).toBe(1);
    });
    expect(openScopes).toHaveLength(0);
  },
  "core/src/ops/elementwise.ts": async (p) => {
    const [{ log1mexp }, { tensor }] = await fresh(p, CREATION);
    // log1mexp(x) = log(1 − e^{−x}) for x ≥ 0 (Mächler 2012)
    expect(values(log1mexp(tensor([1], { dtype: "float64" })))[0]).toBeCloseTo(
      Math.log(1 - Math.exp(-1)),
      12,
    );
  },
  "core/src/ops/defs/log1mexp.ts": async (p) => {
    const [{ log1mexp }, { tensor }, { lookupOp }] = await fresh(p, CREATION, "core/src/ops/define-op.ts");
    expect(lookupOp("log1mexp")).toBeDefined();
    expect(values(log1mexp(tensor([2], { dtype: "float64" })))[0]).toBeCloseTo(
      Math.log(1 - Math.exp(-2)),
      12,
    );
  },
  "core/src/jit/jit.ts": async (p) => {
    const [{ jit }, { tensor }] = await fresh(p, CREATION);
    const f = jit((x: Mod) => x.mul(x).sum());
    expect(f(tensor([1, 2, 3])).item()).toBe(14);
    expect(f(tensor([4, 5, 6])).item()).toBe(77);
    expect(f.replays).toBe(1);
    f.dispose();
  },
  "core/src/node/index.ts": async (p) => {
    const [{ createDawnBackend }, { backendLoader }] = await fresh(p, "core/src/backend/registry.ts");
    expect(backendLoader("webgpu")).toBe(createDawnBackend);
  },
  "core/src/node/webgpu.ts": async (p) => {
    const [{ createDawnBackend, installDawnBackendLoader }, { backendLoader }] = await fresh(
      p,
      "core/src/backend/registry.ts",
    );
    expect(backendLoader("webgpu")).not.toBe(createDawnBackend); // importing installs nothing
    installDawnBackendLoader();
    installDawnBackendLoader(); // idempotent
    expect(backendLoader("webgpu")).toBe(createDawnBackend);
  },
  "core/src/index.ts": async (p) => {
    const [{ tensor, scope }] = await fresh(p);
    expect(scope(() => tensor([1, 2]).mul(3).sum().item())).toBe(9);
  },
  [NORMAL]: checkWrappers,
  "distributions/src/distribution.ts": checkWrappers,
  "distributions/src/wrappers/expanded.ts": checkWrappers,
  "distributions/src/wrappers/independent.ts": checkWrappers,
  "distributions/src/wrappers/masked.ts": checkWrappers,
  "distributions/src/distribution-base.ts": async (p) => {
    // the base alone has no wrappers: a clear error instead of "... is not a function"
    const [{ Distribution }] = await fresh(p);
    class Bare extends Distribution {}
    expect(() => new (Bare as Mod)([2], []).expand([3, 2])).toThrow(/wrappers are not installed/);
  },
  "distributions/src/kl.ts": async (p) => {
    const [{ kl }, { tensor }, { Normal }] = await fresh(p, CREATION, NORMAL);
    // KL(N(0,1) ‖ N(1,2)) = log 2 + (1 + 1)/(2·4) − ½
    const v = kl(new Normal(tensor(0), tensor(1)), new Normal(tensor(1), tensor(2))).item();
    expect(v).toBeCloseTo(Math.log(2) + 2 / 8 - 0.5, 6);
  },
  "distributions/src/biject-to.ts": async (p) => {
    const [{ bijectTo }, { tensor }, { positive }] = await fresh(p, CREATION, CONSTRAINTS);
    expect(values(bijectTo(positive).forward(tensor([0])))).toEqual([1]);
  },
  "distributions/src/kernels/negative-binomial.ts": async (p) => {
    const [{ nb2LogProb }, { tensor }] = await fresh(p, CREATION);
    // NB2 with mean 1 and concentration 1 is geometric with p = ½: P(0) = ½
    expect(nb2LogProb(tensor([0]), tensor([1]), tensor([1])).item()).toBeCloseTo(Math.log(0.5), 6);
  },
  "distributions/src/index.ts": async (p) => {
    const [{ Normal }, { tensor }] = await fresh(p, CREATION);
    expect(new Normal(tensor([0]), 1).expand([4, 1]).batchShape).toEqual([4, 1]);
  },
  "infer/src/install-transforms.ts": async (p) => {
    const [{ ensureParamTransform }, { paramTransform }, { tensor }, { positive }] = await fresh(
      p,
      "core/src/ppl/param-transform.ts",
      CREATION,
      CONSTRAINTS,
    );
    expect(() => paramTransform(positive)).toThrow(/none is installed/); // importing installs nothing
    ensureParamTransform();
    expect(values(paramTransform(positive).forward(tensor([0])))).toEqual([1]);
  },
  "infer/src/util/sites.ts": checkParamTransform,
  "infer/src/svi/svi.ts": checkParamTransform,
  "infer/src/index.ts": async (p) => {
    const [, { paramTransform }, { tensor }, { positive }] = await fresh(
      p,
      "core/src/ppl/param-transform.ts",
      CREATION,
      CONSTRAINTS,
    );
    expect(values(paramTransform(positive).forward(tensor([0])))).toEqual([1]); // the entry wires it
  },
  "scribe-models/src/models/scribe-beta-prime.ts": async (p) => {
    const [{ ScribeBetaPrime }, { tensor }, { kl }, { Beta }] = await fresh(
      p,
      CREATION,
      "distributions/src/kl.ts",
      "distributions/src/continuous/beta.ts",
    );
    const a = new ScribeBetaPrime(tensor(2), tensor(3));
    const b = new ScribeBetaPrime(tensor(4), tensor(1.5));
    const viaBeta = kl(
      new Beta(a.concentration1, a.concentration0),
      new Beta(b.concentration1, b.concentration0),
    );
    expect(kl(a, b).item()).toBeCloseTo(viaBeta.item(), 10);
  },
  "scribe-models/src/index.ts": async (p) => {
    const [models] = await fresh(p);
    expect(Object.keys(models).length).toBeGreaterThan(10);
  },
};

/** Worker entry points: they talk to a parent thread when loaded, so they are not imported here. */
const WORKER_ENTRIES = new Set(["core/src/node/loop-worker.ts", "infer/src/mcmc/parallel-worker.ts"]);

function sourceModules(): string[] {
  const out: string[] = [];
  for (const pkg of ["core", "distributions", "infer", "scribe-models"]) {
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(relative(packagesDir, full));
      }
    };
    walk(src(`${pkg}/src`));
  }
  return out.sort();
}

/** A fixed, spread-out sample: every `step`-th module from a seeded offset. */
function sample(all: readonly string[], step: number, seed: number): string[] {
  return all.filter((_, i) => (i + seed) % step === 0);
}

const slow = process.env.SCRIBE_SLOW === "1";
const others = sourceModules().filter((m) => !(m in WIRING) && !WORKER_ENTRIES.has(m));

/** Modules that define scalar ops: each registers its own ops when imported alone. */
const OP_MODULES = sourceModules().filter(
  (m) => !m.endsWith("define-op.ts") && readFileSync(src(m), "utf8").includes("defineOp("),
);

describe("every module works imported on its own", () => {
  for (const [path, check] of Object.entries(WIRING)) {
    it(`${path}: wired explicitly`, () => check(path), { timeout: 120_000 });
  }

  it(
    `the ${OP_MODULES.length} op-defining modules each register the ops they export`,
    async () => {
      expect(OP_MODULES.length).toBeGreaterThan(5);
      for (const path of OP_MODULES) {
        const [mod, { lookupOp }] = await fresh(path, "core/src/ops/define-op.ts");
        const ops = Object.values(mod).filter(
          (v): v is { name: string } =>
            typeof v === "object" && v !== null && typeof (v as { name?: unknown }).name === "string",
        );
        expect(ops.length, path).toBeGreaterThan(0);
        for (const op of ops) expect(lookupOp(op.name), `${path}: ${op.name}`).toBe(op);
      }
    },
    { timeout: 120_000 },
  );

  it("the wiring cases name existing modules", () => {
    const all = new Set(sourceModules());
    for (const path of Object.keys(WIRING)) expect(all.has(path), path).toBe(true);
  });

  const picked = slow ? others : sample(others, 8, 5);
  it(
    `${picked.length} of ${others.length} other modules import alone without throwing`,
    async () => {
      for (const path of picked) {
        vi.resetModules();
        await expect(load(path), path).resolves.toBeDefined();
      }
    },
    { timeout: 600_000 },
  );
});
