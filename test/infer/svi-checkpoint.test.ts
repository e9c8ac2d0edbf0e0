import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, plate, sample, type Tensor, tensor } from "@scribe/core";
import { LogNormal, Normal } from "@scribe/distributions";
import {
  AutoNormal,
  adam,
  deserializeSVIState,
  EarlyStopping,
  SVI,
  SVIProgressBar,
  type SVIState,
  serializeSVIState,
  TraceELBO,
} from "@scribe/infer";
import { checkpointEvery, loadCheckpoint, saveCheckpoint } from "@scribe/infer/node";
import { afterAll, describe, expect, it } from "vitest";

const Y = tensor([1.2, 0.8, 1.9, 0.4, 1.1, 1.6, 0.9, 1.3]);
const model = (y: Tensor) => {
  const z = sample("z", new Normal(0, 1));
  const s = sample("s", new LogNormal(0, 1));
  plate("data", 8, () => sample("y", new Normal(z, s), { obs: y }));
};
const dir = mkdtempSync(join(tmpdir(), "scribe-ckpt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bits(t: Tensor): Uint32Array {
  const d = t.dataSync() as Float32Array;
  return new Uint32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

function paramsBits(svi: SVI<[Tensor]>, st: SVIState) {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(svi.optim.getParams(st.optimState))) out[k] = Array.from(bits(v));
  for (const [k, sl] of Object.entries(st.optimState.slots))
    for (const [n, v] of Object.entries(sl)) out[`${k}/${n}`] = Array.from(bits(v));
  return out;
}

describe("SVI checkpoints", () => {
  // 200 steps are as good as 1,000 here: one differing bit anywhere fails the comparison
  it("200 steps straight equal 100 + save + load (fresh SVI and guide) + 100, bit for bit", {
    timeout: 120_000,
  }, async () => {
    const sviA = new SVI(model, new AutoNormal(model), adam(0.01), new TraceELBO());
    const straight = await sviA.run(key(3), 200, [Y]);

    const sviB = new SVI(model, new AutoNormal(model), adam(0.01), new TraceELBO());
    const path = join(dir, "fit.ckpt");
    const first = await sviB.run(key(3), 100, [Y], {
      checkpoint: checkpointEvery(path, 50, { note: "half" }),
    });
    sviB.optim.dispose(first.state.optimState);
    const { state, meta, history } = loadCheckpoint(path);
    expect(meta).toEqual({ note: "half" });
    expect(state.optimState.step).toBe(100);
    expect(history!.losses.length).toBe(100);
    // a fresh SVI object (and guide), as after a restart
    const sviC = new SVI(model, new AutoNormal(model), adam(0.01), new TraceELBO());
    const resumed = await sviC.run(key(99), 100, [Y], { initState: state, history });
    expect(paramsBits(sviC, resumed.state)).toEqual(paramsBits(sviA, straight.state));
    // the history continues: one loss per step of the whole run, the same bits
    expect(resumed.stepsDone).toBe(200);
    expect(Array.from(resumed.losses)).toEqual(Array.from(straight.losses));
    for (const k of Object.keys(straight.params))
      expect(Array.from(bits(resumed.params[k]!))).toEqual(Array.from(bits(straight.params[k]!)));
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("serializes in memory with dtypes and shapes intact, and rejects garbage", async () => {
    const svi = new SVI(model, new AutoNormal(model), adam(0.01), new TraceELBO());
    const st = svi.init(key(0), [Y]);
    const bytes = await serializeSVIState(st, [1, "x"]);
    const back = deserializeSVIState(bytes);
    expect(back.meta).toEqual([1, "x"]);
    expect(back.state.rngKey).toEqual(st.rngKey);
    expect(paramsBits(svi, back.state)).toEqual(paramsBits(svi, st));
    expect(() => deserializeSVIState(new Uint8Array(20))).toThrow(/magic/);
    await saveCheckpoint(join(dir, "a.ckpt"), st);
    expect(loadCheckpoint(join(dir, "a.ckpt")).state.optimState.step).toBe(0);
  });
});

describe("early stopping and progress", () => {
  it("stops on a plateau, restores the best params and truncates the losses", {
    timeout: 120_000,
  }, async () => {
    const svi = new SVI(model, new AutoNormal(model), adam(0.05), new TraceELBO());
    const r = await svi.run(key(1), 20000, [Y], {
      logEvery: 50,
      earlyStopping: { patience: 100, window: 50, minDelta: 0.01 },
    });
    expect(r.stoppedEarly).toBe(true);
    expect(r.losses.length).toBeLessThan(20000);
    expect(r.bestStep).toBeGreaterThan(0);
    expect(r.losses.length - r.bestStep!).toBeGreaterThanOrEqual(100);
    expect(Number.isFinite(r.params.z_auto_loc!.item())).toBe(true);
  });

  it("EarlyStopping smooths with a moving window", async () => {
    const es = new EarlyStopping({ patience: 3, window: 2 });
    for (const v of [10, 8]) es.observe(v);
    expect(es.smoothed).toBe(9);
    expect(es.check(2).improved).toBe(true);
    for (const v of [8, 8, 8, 8, 8]) es.observe(v);
    expect(es.check(7)).toEqual({ improved: true, stop: false });
    expect(es.check(10).stop).toBe(true);
  });

  it("the progress bar shows step, loss, it/s and ETA", async () => {
    const written: string[] = [];
    const bar = new SVIProgressBar(1000, {
      enabled: true,
      stream: { isTTY: false, write: (s) => written.push(s) },
    });
    const line = bar.line(250, 12.5, 0.5);
    expect(line).toMatch(/250\/1000/);
    expect(line).toMatch(/loss 1\.2500e\+1/);
    expect(line).toMatch(/500 it\/s/);
    expect(line).toMatch(/ETA 0:02/);
    bar.update(1000, 1);
    bar.done();
    expect(written.join("")).toMatch(/1000\/1000/);
  });
});
