/**
 * Backed fit — SVI minibatches streamed from disk against the in-memory fit (issue 20 item 1).
 *
 * Generates a CSR `.h5ad` of --cells × --genes (default 50,000 × 2,000, --density 5 %
 * non-zero; the W6 generator, bench/w6.ts), then fits it twice, each in a fresh child process
 * so that its peak resident memory is its own: (1) in memory (readH5ad, then fit on the
 * AnnData, which densifies X as float32), (2) backed (`fit(path, { backed: true })`, each
 * minibatch read from the file). Same model, seed and minibatch size, so the two must end
 * with the same params: each child prints a checksum of its params (float64 sum of every value
 * and of every value times its position) and the table says whether they agree. Prints wall
 * time (loading included) and peak RSS; never asserts.
 *
 * The children run the TypeScript sources through tsx, with h5wasm imported before tsx is
 * registered (as the read-ahead worker does, io/h5-runtime.ts `h5wasmUrl`): through tsx's
 * loader h5wasm alone costs ~600 MiB of resident memory, which is not the library's.
 *
 * Usage: npm run bench -- backed-fit [--cells 50000] [--genes 2000] [--density 0.05]
 *        [--steps 200] [--batch-size 512] [--model nbdm] [--modes memory,backed] [--keep]
 *        [--file PATH]
 * (`--modes backed` skips the in-memory fit, which densifies X: 8 GB at 1,000,000 × 2,000;
 * `--file PATH` fits that file, generating it there first when it does not exist, and keeps it:
 * the 1,000,000-cell file takes minutes to write)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fit } from "../packages/scribe-models/src/fit.js";
import { h5, h5wasmUrl } from "../packages/scribe-models/src/io/h5-runtime.js";
import { readH5ad } from "../packages/scribe-models/src/io/node.js";
import type { ModelType } from "../packages/scribe-models/src/models/config.js";
import { argValue } from "./harness.js";

const HERE = fileURLToPath(import.meta.url);

interface ChildResult {
  seconds: number;
  maxRssMiB: number;
  checksum: string;
  finalLoss: number;
}

/** Child process: one fit of `file` (mode memory | backed), printing a {@link ChildResult} as JSON. */
async function child(mode: string, file: string, args: string[]): Promise<void> {
  await h5(); // loading h5wasm (slow under tsx's loader) is not part of the figure
  const opts = {
    model: (argValue(args, "--model") ?? "nbdm") as ModelType,
    nSteps: Number(argValue(args, "--steps") ?? 200),
    batchSize: Number(argValue(args, "--batch-size") ?? 512),
    seed: 1,
    learningRate: 0.01,
  };
  const t0 = performance.now();
  const out =
    mode === "backed" ? await fit(file, { ...opts, backed: true }) : await fit(await readH5ad(file), opts);
  const seconds = (performance.now() - t0) / 1000;
  let sum = 0;
  let weighted = 0;
  for (const name of Object.keys(out.results.params).sort()) {
    const v = (await out.results.params[name]!.data()) as ArrayLike<number>;
    for (let i = 0; i < v.length; i++) {
      sum += v[i]!;
      weighted += v[i]! * (i + 1);
    }
  }
  const losses = out.results.lossHistory;
  const result: ChildResult = {
    seconds,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    checksum: `${sum.toPrecision(17)}/${weighted.toPrecision(17)}`,
    finalLoss: losses[losses.length - 1] ?? Number.NaN,
  };
  console.log(JSON.stringify(result));
}

/** Run the benchmark (see the module doc). */
export async function runBackedFit(args: string[]): Promise<void> {
  const cells = Number(argValue(args, "--cells") ?? 50_000);
  const genes = Number(argValue(args, "--genes") ?? 2000);
  const density = Number(argValue(args, "--density") ?? 0.05);
  const given = argValue(args, "--file");
  const dir = given ? null : mkdtempSync(join(tmpdir(), "scribe-backed-fit-"));
  const file = given ?? join(dir!, "cells.h5ad");
  try {
    const t0 = performance.now();
    if (given && existsSync(given))
      console.log(`backed fit: fitting ${given} (--cells, --genes, --density ignored)`);
    else {
      // imported here, in the parent only: w6.ts runs its own pseudobulk child when its argv has
      // --child, so a static import made every fit child stream the file through W6 first
      const { generate } = await import("./w6.js");
      await generate(file, cells, genes, density);
      console.log(
        `backed fit: generated ${cells} cells × ${genes} genes (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB CSR) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    console.log(
      `${"path".padEnd(40)} ${"s".padStart(8)} ${"peak RSS MiB".padStart(14)}  final loss / params checksum`,
    );
    const sums: string[] = [];
    const modes = (argValue(args, "--modes") ?? "memory,backed").split(",");
    for (const mode of modes) {
      const child = ["--import", h5wasmUrl(), "--import", "tsx", HERE, "--child", mode, file, ...args];
      const r = spawnSync(process.execPath, child, {
        encoding: "utf8",
        maxBuffer: 1 << 20,
      });
      if (r.status !== 0) {
        console.log(`${mode}: failed: ${r.stderr.slice(-1000)}`);
        continue;
      }
      const o = JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildResult;
      sums.push(o.checksum);
      const name =
        mode === "backed" ? "fit, minibatches read from disk (backed)" : "fit, X in memory (readH5ad)";
      console.log(
        `${name.padEnd(40)} ${o.seconds.toFixed(2).padStart(8)} ${o.maxRssMiB.toFixed(0).padStart(14)}  ${o.finalLoss} / ${o.checksum}`,
      );
    }
    if (sums.length === 2) console.log(`params identical: ${sums[0] === sums[1] ? "yes" : "NO"}`);
  } finally {
    if (dir && !args.includes("--keep")) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${file}`);
  }
}

const childAt = process.argv.indexOf("--child");
if (childAt >= 0)
  await child(process.argv[childAt + 1]!, process.argv[childAt + 2]!, process.argv.slice(childAt + 3));
