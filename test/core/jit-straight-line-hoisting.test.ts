import { jit, type Tensor, tensor } from "@scribe/core";
import { setHoisting } from "@scribe/core/backend/cpu/codegen.js";
import { nb2LogProb } from "@scribe/distributions";
import { afterEach, describe, expect, it } from "vitest";

/**
 * `jit(f).straightLine(...)` of a pass the loop planner hoists (nb2 with a per-gene θ
 * broadcast over cells): the straight-line function must take the hoisted path too, since the
 * hoisted body may round unlike the ordinary one (op-hoisting.test.ts allows 1e-12 relative),
 * and its results are promised equal to a replay's bit for bit. The peer is the replay itself
 * (the cpu loops, hoisting on or off).
 */

afterEach(() => {
  setHoisting(true);
});

const cells = 40;
const counts = tensor(
  Array.from({ length: cells * 3 }, (_, i) => (i * 7) % 50),
  { dtype: "float64", shape: [cells, 3] },
);
const perGene = (mu: Tensor, theta: Tensor) => nb2LogProb(counts, mu, theta).sum(0);
const mu = tensor(
  Array.from({ length: cells * 3 }, (_, i) => 1 + (i % 13) * 2.3),
  { dtype: "float64", shape: [cells, 3] },
);
// θ from below 1 to above the lgamma-difference range: each hoisted branch of nb2
const theta = tensor([0.37, 2.9, 41.3], { dtype: "float64", shape: [1, 3] });

/**
 * The straight-line function and the replay of one jitted perGene. `hoistingAtCompile`, when
 * given, is set after the first call records the program and before the straight-line function
 * is compiled: the recorded loops keep the setting they were planned under, and so must it.
 */
function straightAndReplay(hoistingAtCompile?: boolean): {
  line: number[];
  replay: number[];
  source: string;
} {
  const jf = jit(perGene);
  if (hoistingAtCompile !== undefined) {
    (jf(mu, theta) as Tensor).dispose();
    setHoisting(hoistingAtCompile);
  }
  const fn = jf.straightLine(mu, theta)!;
  expect(fn).not.toBeNull();
  const out = new Float64Array(3);
  fn([...mu.dataSync(), ...theta.dataSync()], out);
  const replay = Array.from((jf(mu, theta) as Tensor).dataSync());
  jf.dispose();
  return { line: Array.from(out), replay, source: fn.source };
}

describe("straight-line functions of hoisted passes", () => {
  it("call the hoisted body, as the replayed loop does, and equal the replay bit for bit", () => {
    const { line, replay, source } = straightAndReplay();
    expect(source).toMatch(/F_nb2\$h\(/);
    expect(line).toEqual(replay);
  });

  it("call the ordinary body with hoisting off, and still equal the replay bit for bit", () => {
    setHoisting(false);
    const { line, replay, source } = straightAndReplay();
    expect(source).not.toMatch(/F_nb2\$h\(/);
    expect(line).toEqual(replay);
  });

  it("follow the setting the program was recorded under, not the one at compile time", () => {
    setHoisting(false);
    const off = straightAndReplay(true);
    expect(off.source).not.toMatch(/F_nb2\$h\(/);
    expect(off.line).toEqual(off.replay);
    const on = straightAndReplay(false);
    expect(on.source).toMatch(/F_nb2\$h\(/);
    expect(on.line).toEqual(on.replay);
  });
});
