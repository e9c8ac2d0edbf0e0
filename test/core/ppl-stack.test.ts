import {
  applyStack,
  BlockMessenger,
  deterministic,
  handlerStack,
  key,
  type Message,
  Messenger,
  param,
  SeedMessenger,
  sample,
  seed,
  TraceMessenger,
  tensor,
  trace,
  withHandler,
  withHandlers,
} from "@scribe/core";
import { describe, expect, it } from "vitest";
import { arr, normal01, ToyNormal } from "../helpers/toy-dist.js";

/** Records the order in which it processes / post-processes messages. */
class Recorder extends Messenger {
  constructor(
    readonly label: string,
    readonly log: string[],
    readonly stopAt: string | null = null,
  ) {
    super();
  }
  override processMessage(msg: Message): void {
    if (msg.name === null) return;
    this.log.push(`process:${this.label}:${msg.name}`);
    if (this.stopAt === msg.name) msg.stop = true;
  }
  override postprocessMessage(msg: Message): void {
    if (msg.name === null) return;
    this.log.push(`post:${this.label}:${msg.name}`);
  }
}

describe("applyStack order", () => {
  it("processes innermost → outermost and post-processes outermost → innermost", () => {
    const log: string[] = [];
    const [a, b, c] = ["outer", "middle", "inner"].map((l) => new Recorder(l, log));
    withHandlers([a!, b!, c!], () => deterministic("d", tensor(1)));
    expect(log).toEqual([
      "process:inner:d",
      "process:middle:d",
      "process:outer:d",
      "post:outer:d",
      "post:middle:d",
      "post:inner:d",
    ]);
  });

  it("stop hides the site from outer handlers in both phases", () => {
    const log: string[] = [];
    const outer = new Recorder("outer", log);
    const middle = new Recorder("middle", log, "d");
    const inner = new Recorder("inner", log);
    withHandlers([outer, middle, inner], () => deterministic("d", tensor(1)));
    expect(log).toEqual(["process:inner:d", "process:middle:d", "post:middle:d", "post:inner:d"]);
  });

  it("the default phase runs between process and postprocess", () => {
    const seen: (number | null)[] = [];
    class Peek extends Messenger {
      override processMessage(m: Message) {
        if (m.type === "sample") seen.push(m.value === null ? null : 1);
      }
      override postprocessMessage(m: Message) {
        if (m.type === "sample") seen.push(m.value === null ? null : 1);
      }
    }
    withHandlers([new SeedMessenger(0), new Peek()], () => sample("x", normal01()));
    expect(seen).toEqual([null, 1]);
  });

  it("withHandler pops the handler (and any above it) when the body throws", () => {
    const t = new TraceMessenger();
    const leaked = new TraceMessenger();
    expect(() =>
      withHandler(t, () => {
        leaked.enter(); // never exited by the body
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(handlerStack().length).toBe(0);
  });

  it("applyStack with an empty stack runs the default behaviour", () => {
    const msg = applyStack({
      type: "deterministic",
      name: "d",
      value: tensor(2),
      stop: false,
      scale: null,
      condIndepStack: [],
      infer: {},
    });
    expect(arr(msg.value!)).toEqual([2]);
  });
});

describe("empty-stack fast paths", () => {
  it("sample returns obs, or draws with an explicit key, or explains the missing key", () => {
    const obs = tensor([1, 2]);
    expect(sample("y", normal01(), { obs })).toBe(obs);
    const d = new ToyNormal(0, 1);
    const x = sample("x", d, { rngKey: key(3) });
    expect(arr(x)).toEqual(arr(d.sample(key(3))));
    expect(() => sample("x", normal01())).toThrow(/seed/);
  });

  it("param returns its init; deterministic returns its value", () => {
    const init = tensor([1, 2, 3]);
    expect(param("p", init)).toBe(init);
    const v = tensor(4);
    expect(deterministic("d", v)).toBe(v);
    expect(() => param("p", () => tensor(1))).toThrow(/random key/);
  });

  it("a non-distribution fn is rejected with the site name", () => {
    expect(() => sample("bad", {} as never)).toThrow(/site 'bad'/);
  });
});

describe("block inside seed keeps sites random", () => {
  it("hidden sites draw the same values as unhidden ones", () => {
    const model = () => [sample("a", normal01()), sample("b", normal01())];
    const plain = seed(model, 11)();
    const blockedRun = seed(() => withHandler(new BlockMessenger(), model), 11)();
    expect(arr(blockedRun[0]!)).toEqual(arr(plain[0]!));
    expect(arr(blockedRun[1]!)).toEqual(arr(plain[1]!));
    const tr = trace(seed(() => withHandler(new BlockMessenger({ hide: ["a"] }), model), 11)).getTrace();
    expect([...tr.keys()]).toEqual(["b"]);
  });
});
