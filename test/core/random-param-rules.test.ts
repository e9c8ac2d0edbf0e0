// The samplers' parameter rules (core/src/random/param-rules.ts) in their two forms: the scalar
// test the cpu's typed-array samplers run, and the tensor form that backends without
// synchronous reads (WebGPU) register as deferred checks (random/sampler-checks.ts). Here, on the
// cpu, both forms must accept the same values, and the deferred checks must raise the message
// the cpu sampler throws for the same parameters (the WebGPU twin is
// test/webgpu/sampler-validation.test.ts, which skips without an adapter).
import { key, random, tensor } from "@scribe/core";
import { SAMPLER_PARAM_RULES } from "@scribe/core/random/param-rules.js";
import { deferSamplerChecks, TENSOR_RULES } from "@scribe/core/random/sampler-checks.js";
import { describe, expect, it } from "vitest";

const EDGES = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1,
  -1,
  0.5,
  1.5,
  2.5,
  3,
  1e-310,
  -1e-310,
  2 ** 53,
  2 ** 53 - 1,
  2 ** 53 + 2,
  1e300,
  -1e300,
];

describe("sampler parameter rules", () => {
  it("the tensor form accepts exactly what the scalar form accepts (float64 edge values)", async () => {
    const rules = new Map(
      Object.values(SAMPLER_PARAM_RULES)
        .flat()
        .map(({ rule }) => [rule.id, rule]),
    );
    expect(rules.size).toBe(Object.keys(TENSOR_RULES).length);
    for (const [id, rule] of rules) {
      const got = await TENSOR_RULES[id](tensor(EDGES, { dtype: "float64" })).data();
      expect([id, Array.from(got, Boolean)]).toEqual([id, EDGES.map(rule.ok)]);
    }
  });

  // The same parameters through the cpu sampler (throws at once) and through the deferred checks
  // WebGPU registers (evaluated here by a readback on the cpu): one message.
  const k = key(5);
  const t = (v: number[]) => tensor(v, { dtype: "float64" });
  const cases: [string, () => unknown, () => void][] = [
    ["gamma", () => random.gamma(k, t([1, 2, -2])), () => deferSamplerChecks("gamma", [t([1, 2, -2])])],
    [
      "binomial totalCount",
      () => random.binomial(k, t([3, 2.5]), t([0.5, 0.5])),
      () => deferSamplerChecks("binomial", [t([3, 2.5]), t([0.5, 0.5])]),
    ],
    [
      "uniform order",
      () => random.uniform(k, [3], t([0, 2, 1]), 1.5),
      () => deferSamplerChecks("uniform", [t([0, 2, 1]), 1.5]),
    ],
    [
      "truncatedNormal lower",
      () => random.truncatedNormal(k, t([0, Number.NaN]), t([1, 2])),
      () => deferSamplerChecks("truncatedNormal", [t([0, Number.NaN]), t([1, 2])]),
    ],
    [
      "categorical row",
      () => random.categorical(k, t([0, 1, -Infinity, -Infinity]).reshape([2, 2])),
      () => deferSamplerChecks("categorical", [t([0, 1, -Infinity, -Infinity]).reshape([2, 2])], 2),
    ],
    [
      "categorical logit",
      () => random.categorical(k, t([0, 1, Infinity, -Infinity]).reshape([2, 2])),
      () => deferSamplerChecks("categorical", [t([0, 1, Infinity, -Infinity]).reshape([2, 2])], 2),
    ],
  ];
  it.each(cases)("%s: the deferred checks raise the cpu sampler's message", async (_name, cpu, deferred) => {
    let want = "(no error)";
    try {
      cpu();
    } catch (e) {
      want = (e as Error).message;
    }
    expect(want).not.toBe("(no error)");
    deferred();
    await expect(tensor([0]).data()).rejects.toThrow(want);
  });

  it("a plain-number parameter breaking its rule throws at once", () => {
    expect(() => deferSamplerChecks("poisson", [-1])).toThrow(
      "poisson: rate must be finite and >= 0, got -1",
    );
    expect(() => deferSamplerChecks("uniform", [2, 1])).toThrow(
      "uniform: need low < high, got low=2, high=1 at 0",
    );
  });
});
