/**
 * W3 — NUTS (BENCHMARKS.md §W3): eight schools (non-centered) and an NB2 regression, one
 * chain, 1000 warmup + 1000 draws, diagonal mass matrix, target acceptance 0.8, max tree
 * depth 10. Figure: the smallest rank-normalized bulk ESS over parameters per second of
 * sampling (post-warmup). Each model runs as a scribe model (effect runtime + tensors +
 * valueAndGrad) and as a handwritten plain-JS potential (the sampler's own overhead);
 * Stan runs in the same process tree when `Rscript -e 'library(rstan)'` works; the Pyro
 * figures are BENCHMARKS.md's. Prints figures; never asserts timings.
 *
 * Usage: npx tsx bench/w3.ts [--seed 1] [--no-r] [--only eight|nb2]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { key, plate, random, sample, specialScalar, tensor } from "@scribe/core";
import { Gamma, HalfCauchy, NegativeBinomial2, Normal } from "@scribe/distributions";
import { bulkEss, MCMC, type ModelFn, NUTS, type PotentialGradFn } from "@scribe/infer";
import { argValue } from "./harness.js";

const Y8 = [28, 8, -3, 7, -1, 1, 18, 12];
const S8 = [15, 10, 16, 11, 9, 11, 10, 18];
const PEERS = {
  eight: { stan: 5380, pyroJit: 49, pyroEager: 29 },
  nb2: { stan: 541, pyroJit: 102, pyroEager: 49 },
};

function eightSchoolsModel(): ModelFn {
  const y = tensor(Y8, { dtype: "float64" });
  const sigma = tensor(S8, { dtype: "float64" });
  return () => {
    const mu = sample("mu", new Normal(0, 5));
    const tau = sample("tau", new HalfCauchy(5));
    plate("school", 8, () => {
      const tt = sample("theta_tilde", new Normal(0, 1));
      sample("y", new Normal(mu.add(tau.mul(tt)), sigma), { obs: y });
    });
  };
}

/** Eight schools by hand: x = (mu, log tau, theta_tilde[8]). */
const eightSchoolsPotential: PotentialGradFn = (x, g) => {
  const mu = x[0]!;
  const u = x[1]!;
  const tau = Math.exp(u);
  const r = (tau / 5) ** 2;
  let pot = (mu * mu) / 50 + Math.log1p(r) - u;
  let gmu = mu / 25;
  let gu = (2 * r) / (1 + r) - 1;
  for (let j = 0; j < 8; j++) {
    const tt = x[2 + j]!;
    const s2 = S8[j]! ** 2;
    const d = mu + tau * tt - Y8[j]!;
    pot += 0.5 * tt * tt + (0.5 * d * d) / s2;
    gmu += d / s2;
    gu += (d / s2) * tau * tt;
    g[2 + j] = tt + (d / s2) * tau;
  }
  g[0] = gmu;
  g[1] = gu;
  return pot;
};

interface Nb2Data {
  n: number;
  k: number;
  x: Float64Array;
  y: Float64Array;
}

export function simulateNb2(seed: number): Nb2Data {
  const n = 1000;
  const k = 5;
  const beta = [0.5, -0.25, 0.3, 0, -0.1];
  const phi = 3;
  const ks = [0, 1, 2].map((i) => key(seed * 10 + i));
  const x = Float64Array.from(random.normal(ks[0]!, [n, k], { dtype: "float64" }).dataSync());
  const mean = Float64Array.from({ length: n }, (_, i) =>
    Math.exp(1 + beta.reduce((s, b, j) => s + b * x[i * k + j]!, 0)),
  );
  // Gamma–Poisson: λ ~ Gamma(φ, rate φ/μ), y ~ Poisson(λ).
  const g = random.gamma(ks[1]!, tensor(new Float64Array(n).fill(phi), { dtype: "float64" })).dataSync();
  const lam = tensor(
    Float64Array.from({ length: n }, (_, i) => (g[i]! * mean[i]!) / phi),
    { dtype: "float64" },
  );
  const y = Float64Array.from(random.poisson(ks[2]!, lam).dataSync());
  return { n, k, x, y };
}

export function nb2Model(d: Nb2Data): ModelFn {
  const X = tensor(d.x, { dtype: "float64", shape: [d.n, d.k] });
  const y = tensor(d.y, { dtype: "float64" });
  return () => {
    const alpha = sample("alpha", new Normal(0, 5));
    const beta = plate("coef", d.k, () => sample("beta", new Normal(0, 2.5)));
    const phi = sample("phi", new Gamma(2, 0.1));
    const eta = X.matmul(beta.reshape([d.k, 1]))
      .reshape([d.n])
      .add(alpha);
    plate("rows", d.n, () => sample("y", new NegativeBinomial2(eta.exp(), phi, false), { obs: y }));
  };
}

/** NB2 regression by hand: x = (alpha, beta[k], log phi). */
export function nb2Potential(d: Nb2Data): PotentialGradFn {
  const { n, k } = d;
  const lgy1 = d.y.map((v) => specialScalar.lgamma(v + 1));
  return (x, g) => {
    const alpha = x[0]!;
    const u = x[1 + k]!;
    const phi = Math.exp(u);
    const lgPhi = specialScalar.lgamma(phi);
    const dgPhi = specialScalar.digamma(phi);
    let ll = 0;
    let dPhi = 0;
    g.fill(0);
    for (let i = 0; i < n; i++) {
      let eta = alpha;
      for (let j = 0; j < k; j++) eta += x[1 + j]! * d.x[i * k + j]!;
      const mu = Math.exp(eta);
      const yi = d.y[i]!;
      const lpm = Math.log(phi + mu);
      ll += specialScalar.lgamma(yi + phi) - lgPhi - lgy1[i]! + phi * (u - lpm) + yi * (eta - lpm);
      const dEta = (phi * (yi - mu)) / (phi + mu);
      g[0]! -= dEta;
      for (let j = 0; j < k; j++) g[1 + j]! -= dEta * d.x[i * k + j]!;
      dPhi += specialScalar.digamma(yi + phi) - dgPhi + u - lpm + (mu - yi) / (phi + mu);
    }
    let pot = -ll + (alpha * alpha) / 50 - 2 * u + 0.1 * phi;
    g[0]! += alpha / 25;
    for (let j = 0; j < k; j++) {
      const b = x[1 + j]!;
      pot += (b * b) / 12.5;
      g[1 + j]! += b / 6.25;
    }
    g[1 + k] = -(phi * dPhi) - 2 + 0.1 * phi;
    return pot;
  };
}

interface Figure {
  minEss: number;
  warmupS: number;
  sampleS: number;
  steps: number;
}

async function ours(kernel: NUTS, seed: number): Promise<Figure> {
  const mcmc = new MCMC(kernel, { numWarmup: 1000, numSamples: 1000, progressBar: false });
  await mcmc.run(key(seed));
  const r = mcmc.chainResults[0]!;
  let minEss = Number.POSITIVE_INFINITY;
  for (const s of mcmc.getSiteDraws()) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const c = s.chains[0]!;
    for (let j = 0; j < size; j++)
      minEss = Math.min(minEss, bulkEss([Float64Array.from({ length: 1000 }, (_, i) => c[i * size + j]!)]));
  }
  return {
    minEss,
    warmupS: r.warmupSeconds,
    sampleS: r.sampleSeconds,
    steps: r.extra.numSteps.reduce((a, b) => a + b, 0),
  };
}

function rDump(vars: Record<string, number | number[] | { dim: number[]; data: ArrayLike<number> }>): string {
  return Object.entries(vars)
    .map(([name, v]) => {
      if (typeof v === "number") return `${name} <- ${v}`;
      if (Array.isArray(v)) return `${name} <- c(${v.join(", ")})`;
      return `${name} <- structure(c(${Array.from(v.data).join(", ")}), .Dim = c(${v.dim.join(", ")}))`;
    })
    .join("\n");
}

function stan(model: string, data: string, seed: number): Figure | null {
  const dir = mkdtempSync(join(tmpdir(), "scribe-w3-"));
  try {
    writeFileSync(join(dir, "data.R"), `${data}\n`);
    const here = fileURLToPath(new URL("./r/", import.meta.url));
    const out = execFileSync(
      "Rscript",
      [join(here, "w3-stan.R"), join(here, model), join(dir, "data.R"), String(seed)],
      {
        encoding: "utf8",
        timeout: 900_000,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const m = /RESULT (\S+) (\S+) (\S+) (\S+)/.exec(out);
    if (!m) return null;
    return { minEss: Number(m[1]), warmupS: Number(m[2]), sampleS: Number(m[3]), steps: Number(m[4]) };
  } catch (e) {
    console.error(`Stan run failed: ${(e as Error).message.split("\n")[0]}`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rstanAvailable(): boolean {
  try {
    execFileSync("Rscript", ["-e", "suppressPackageStartupMessages(library(rstan))"], {
      stdio: "ignore",
      timeout: 120_000,
    });
    return true;
  } catch {
    return false;
  }
}

function row(name: string, f: Figure | null, note = ""): void {
  if (!f) {
    console.log(`${name.padEnd(44)} ${"n/a".padStart(12)}  ${note}`);
    return;
  }
  const perS = f.minEss / f.sampleS;
  const us = (1e6 * f.sampleS) / f.steps;
  console.log(
    `${name.padEnd(44)} ${perS.toFixed(1).padStart(12)} ${f.minEss.toFixed(0).padStart(8)} ${f.sampleS.toFixed(3).padStart(9)} ${f.warmupS.toFixed(3).padStart(9)} ${us.toFixed(1).padStart(10)}  ${note}`,
  );
}

/** Run W3 and print min bulk ESS per second beside Stan (same run) and Pyro (BENCHMARKS.md). */
export async function runW3(args: string[]): Promise<void> {
  const seed = Number(argValue(args, "--seed") ?? 1);
  const only = argValue(args, "--only");
  const useR = !args.includes("--no-r") && rstanAvailable();
  const nb2 = simulateNb2(seed);
  const cases = [
    {
      id: "eight" as const,
      title: "eight schools, non-centered",
      model: eightSchoolsModel(),
      potential: eightSchoolsPotential,
      stanFile: "w3-eight-schools.stan",
      data: rDump({ J: 8, y: Y8, sigma: S8 }),
    },
    {
      id: "nb2" as const,
      title: "NB2 regression (N = 1000, K = 5)",
      model: nb2Model(nb2),
      potential: nb2Potential(nb2),
      stanFile: "w3-nb2.stan",
      data: rDump({
        N: nb2.n,
        K: nb2.k,
        X: { dim: [nb2.n, nb2.k], data: transposeToColumnMajor(nb2.x, nb2.n, nb2.k) },
        y: Array.from(nb2.y),
      }),
    },
  ].filter((c) => !only || c.id === only);
  for (const c of cases) {
    console.log(`\nW3 — ${c.title}: 1 chain, 1000 warmup + 1000 draws, seed ${seed}`);
    console.log(
      `${"implementation".padEnd(44)} ${"minESS/s".padStart(12)} ${"minESS".padStart(8)} ${"sample s".padStart(9)} ${"warmup s".padStart(9)} ${"µs/step".padStart(10)}`,
    );
    const m = await ours(new NUTS({ model: c.model }), seed);
    row("scribe NUTS, model (runtime + tensors)", m);
    const p = await ours(new NUTS({ potentialFnGrad: c.potential, dim: c.id === "eight" ? 10 : 7 }), seed);
    row("scribe NUTS, handwritten JS potential", p, "sampler overhead only");
    const s = useR ? stan(c.stanFile, c.data, seed) : null;
    row("Stan (rstan), measured in this run", s, useR ? "compile time excluded" : "rstan not available");
    const peer = PEERS[c.id];
    console.log(`${"Stan (rstan 2.21), BENCHMARKS.md".padEnd(44)} ${peer.stan.toFixed(1).padStart(12)}`);
    console.log(`${"Pyro NUTS (jit), BENCHMARKS.md".padEnd(44)} ${peer.pyroJit.toFixed(1).padStart(12)}`);
    console.log(`${"Pyro NUTS (eager), BENCHMARKS.md".padEnd(44)} ${peer.pyroEager.toFixed(1).padStart(12)}`);
    const ref = s ? s.minEss / s.sampleS : peer.stan;
    console.log(
      `ratio scribe(model)/Stan ${(m.minEss / m.sampleS / ref).toFixed(4)}; scribe(model)/Pyro jit ${(m.minEss / m.sampleS / peer.pyroJit).toFixed(2)}; handwritten/Stan ${(p.minEss / p.sampleS / ref).toFixed(3)}`,
    );
  }
}

function transposeToColumnMajor(x: Float64Array, n: number, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[j * n + i] = x[i * k + j]!;
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await runW3(process.argv.slice(2));
