import {
  arange,
  key,
  PlateMessenger,
  param,
  plate,
  plateStack,
  replay,
  type SampleMessage,
  sample,
  seed,
  subsample,
  substitute,
  type Tensor,
  tensor,
  trace,
  zeros,
} from "@scribe/core";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { arr, normal01, ToyMvNormalDiag, ToyNormal } from "../helpers/toy-dist.js";

const site = (tr: Map<string, unknown>, name: string) => tr.get(name) as SampleMessage;

describe("plate dims and broadcasting", () => {
  it("allocates the rightmost free dim and expands sample sites", () => {
    const model = () =>
      plate("outer", 3, () => {
        sample("a", normal01());
        plate("inner", 4, () => sample("b", normal01()));
      });
    const tr = trace(seed(model, 0)).getTrace();
    expect(site(tr, "a").fn.batchShape).toEqual([3]);
    expect(site(tr, "a").value!.shape).toEqual([3]);
    expect(site(tr, "b").fn.batchShape).toEqual([4, 3]);
    // outer took dim -1, inner the next free dim -2
    expect(site(tr, "b").condIndepStack).toEqual([
      { name: "inner", dim: -2, size: 4 },
      { name: "outer", dim: -1, size: 3 },
    ]);
    expect(site(tr, "b").value!.shape).toEqual([4, 3]);
    const pl = tr.get("inner")!;
    expect(pl.type).toBe("plate");
    expect(arr(pl.value as Tensor)).toEqual([0, 1, 2, 3]);
  });

  it("honours an explicit dim, and rejects positive or occupied dims", () => {
    const tr = trace(seed(() => plate("p", 5, { dim: -2 }, () => sample("x", normal01())), 0)).getTrace();
    expect(site(tr, "x").fn.batchShape).toEqual([5, 1]);
    expect(() => plate("p", 2, { dim: 0 }, () => 0)).toThrow(/negative/);
    expect(() => trace(() => plate("a", 2, () => plate("b", 3, { dim: -1 }, () => 0))).getTrace()).toThrow(
      /already used by the enclosing plate 'a'/,
    );
  });

  it("keeps batch dims of the distribution to the left of the plates", () => {
    const tr = trace(
      seed(() => plate("p", 3, () => sample("x", new ToyNormal(zeros([2, 1]), 1))), 0),
    ).getTrace();
    expect(site(tr, "x").fn.batchShape).toEqual([2, 3]);
  });

  it("folds sampleShape into the batch shape", () => {
    const tr = trace(
      seed(() => plate("p", 3, () => sample("x", normal01(), { sampleShape: [2, 1] })), 0),
    ).getTrace();
    expect(site(tr, "x").value!.shape).toEqual([2, 3]);
    expect(site(tr, "x").kwargs.sampleShape).toEqual([]);
  });

  it("names the site and the plate when shapes do not broadcast", () => {
    const bad = () => plate("genes", 4, () => sample("r", new ToyNormal(zeros([3]), 1)));
    expect(() => trace(seed(bad, 0)).getTrace()).toThrow(/site 'r'.*\[3\].*plate 'genes'/);
  });

  it("plateStack nests contiguous plates", () => {
    const tr = trace(seed(() => plateStack("s", [2, 3, 4], () => sample("x", normal01())), 0)).getTrace();
    expect(site(tr, "x").value!.shape).toEqual([2, 3, 4]);
  });

  it("property: batch shape = plate sizes at their dims (broadcast with the distribution's)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        (sizes, extraLeft) => {
          // distribution batch: extraLeft + ones over the plates
          const distBatch = [...extraLeft, ...sizes.map(() => 1)];
          const model = () => plateStack("p", sizes, () => sample("x", new ToyNormal(zeros(distBatch), 1)));
          const tr = trace(seed(model, 0)).getTrace();
          expect(site(tr, "x").fn.batchShape).toEqual([...extraLeft, ...sizes]);
          expect(site(tr, "x").value!.shape).toEqual([...extraLeft, ...sizes]);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("subsampling", () => {
  it("draws subsample indices from the seed key with random.choice, and scales by N/B", () => {
    const model = () => plate("data", 10, { subsampleSize: 4 }, (idx) => [idx, sample("x", normal01())]);
    const { value, trace: tr } = trace(seed(model, 3)).run();
    const idx = value[0]!;
    expect(idx.shape).toEqual([4]);
    expect(idx.dtype).toBe("int32");
    expect(new Set(arr(idx)).size).toBe(4);
    for (const i of arr(idx)) expect(i >= 0 && i < 10).toBe(true);
    expect(arr(tr.get("data")!.value as Tensor)).toEqual(arr(idx));
    expect(site(tr, "x").scale).toBe(2.5);
    expect(site(tr, "x").fn.batchShape).toEqual([4]);
    // nested subsampled plates multiply their scales
    const nested = () =>
      plate("a", 6, { subsampleSize: 3 }, () =>
        plate("b", 8, { subsampleSize: 2 }, () => sample("y", normal01())),
      );
    expect(site(trace(seed(nested, 0)).getTrace(), "y").scale).toBe(8);
  });

  it("without a seed, subsampling explains the missing key", () => {
    expect(() => plate("d", 10, { subsampleSize: 2 }, () => 0)).toThrow(/random key/);
  });

  it("replay gives the model the guide's subsample indices; substitute can fix them", () => {
    const fn = () => plate("data", 100, { subsampleSize: 5 }, (idx) => idx);
    const guideTr = trace(seed(fn, 1)).getTrace();
    const replayed = replay(seed(fn, 2), guideTr)();
    expect(arr(replayed)).toEqual(arr(guideTr.get("data")!.value as Tensor));
    expect(arr(seed(fn, 2)())).not.toEqual(arr(replayed));
    const fixed = substitute(fn, { data: tensor([7, 8, 9, 10, 11], { dtype: "int32" }) })();
    expect(arr(fixed)).toEqual([7, 8, 9, 10, 11]);
  });

  it("warns when the supplied indices do not match subsampleSize", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const fn = () => plate("data", 10, { subsampleSize: 4 }, (idx) => idx);
    const idx = substitute(fn, { data: tensor([1, 2], { dtype: "int32" }) })();
    expect(idx.shape).toEqual([2]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/different subsampleSize in model and guide/));
    warn.mockRestore();
  });

  it("slices full-size params (with eventDim) and subsample() data to the minibatch", () => {
    const full = arange(0, 10, 1, "float32");
    const rows = tensor(Array.from({ length: 10 }, (_, i) => [i, 10 * i]));
    const model = () =>
      plate("data", 10, { subsampleSize: 3 }, (idx) => ({
        idx,
        p: param("loc", full, { eventDim: 0 }),
        noEvent: param("loc2", full),
        rows: subsample(rows, 1),
        broadcastable: param("one", zeros([1]), { eventDim: 0 }),
      }));
    const out = seed(model, 4)();
    const idx = arr(out.idx);
    expect(arr(out.p)).toEqual(idx);
    expect(out.noEvent.shape).toEqual([10]);
    expect(arr(out.rows)).toEqual(idx.flatMap((i) => [i, 10 * i]));
    expect(out.broadcastable.shape).toEqual([1]);
    // wrong full size is an error naming the param and plate
    const bad = () => plate("data", 10, { subsampleSize: 3 }, () => param("w", zeros([7]), { eventDim: 0 }));
    expect(() => seed(bad, 0)()).toThrow(/plate 'data'.*param 'w'/);
    // outside any handler subsample is the identity
    expect(subsample(rows, 1)).toBe(rows);
  });

  it("a Plate object entered twice reuses the same indices", () => {
    const model = () => {
      const p = new PlateMessenger("data", 20, { subsampleSize: 4 });
      const a = p.runWith((idx) => idx);
      const b = p.runWith((idx) => idx);
      return [a, b];
    };
    const [a, b] = seed(model, 0)();
    expect(arr(a!)).toEqual(arr(b!));
  });

  it("event dims stay to the right of the plate dims", () => {
    const model = () => plate("n", 5, () => sample("v", new ToyMvNormalDiag(zeros([3]), tensor([1, 1, 1]))));
    const tr = trace(seed(model, key(0))).getTrace();
    expect(site(tr, "v").value!.shape).toEqual([5, 3]);
    expect(site(tr, "v").fn.batchShape).toEqual([5]);
  });
});
