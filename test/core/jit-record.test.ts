import type { Backend, BackendBuffer } from "@scribe/core/backend/backend.js";
import { recordBackendWork } from "@scribe/core/jit/jit.js";
import { describe, expect, it } from "vitest";

/**
 * A backend with the interface's methods plus two that the interface does not have (`blur`,
 * and `twice`, which calls `blur` through `this`). jit must log and replay them without any
 * list naming them.
 */
class FakeBackend {
  readonly name = "cpu" as const;
  readonly supportsFloat64 = true;
  readonly calls: string[] = [];
  private nextId = 0;
  upload(data: Float64Array): BackendBuffer {
    this.calls.push("upload");
    return { id: this.nextId++, dtype: "float64", size: data.length, refs: 1 };
  }
  alloc(_dtype: "float64", size: number): BackendBuffer {
    this.calls.push("alloc");
    return { id: this.nextId++, dtype: "float64", size, refs: 1 };
  }
  free(_buf: BackendBuffer): void {
    this.calls.push("free");
  }
  readSync(_buf: BackendBuffer): Float64Array {
    this.calls.push("readSync");
    return new Float64Array(0);
  }
  async read(buf: BackendBuffer): Promise<Float64Array> {
    return this.readSync(buf);
  }
  liveBuffers(): number {
    return this.nextId;
  }
  blur(buf: BackendBuffer, radius: number): void {
    this.calls.push(`blur ${buf.id} ${radius}`);
  }
  twice(buf: BackendBuffer): void {
    this.calls.push("twice");
    this.blur(buf, 1);
    this.blur(buf, 2);
  }
}

const asBackend = (f: FakeBackend) => f as unknown as Backend;

describe("jit records every backend method", () => {
  it("a method the interface lacks is logged and replayed with the same arguments", () => {
    const fake = new FakeBackend();
    let buf!: BackendBuffer;
    const rec = recordBackendWork(asBackend(fake), () => {
      buf = asBackend(fake).alloc("float64", 4);
      fake.blur(buf, 3);
      fake.twice(buf);
    });
    expect(rec.replayable).toBe(true);
    // alloc runs once; blur and twice are work; twice's inner blurs are part of its step
    expect(rec.steps).toHaveLength(2);
    expect(fake.calls).toEqual(["alloc", "blur 0 3", "twice", "blur 0 1", "blur 0 2"]);
    fake.calls.length = 0;
    for (const step of rec.steps) step();
    expect(fake.calls).toEqual(["blur 0 3", "twice", "blur 0 1", "blur 0 2"]);
  });

  it("restores the backend's own methods afterwards, also when the body throws", () => {
    const fake = new FakeBackend();
    expect(() =>
      recordBackendWork(asBackend(fake), () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    for (const name of ["blur", "twice", "free", "readSync", "alloc"]) {
      expect(Object.hasOwn(fake, name), name).toBe(false);
    }
    fake.blur({ id: 9, dtype: "float64", size: 1, refs: 1 }, 1);
    expect(fake.calls).toEqual(["blur 9 1"]);
  });

  it("frees are held for the replays and a readback makes the recording non-replayable", () => {
    const fake = new FakeBackend();
    const buf = asBackend(fake).alloc("float64", 1);
    fake.calls.length = 0;
    const rec = recordBackendWork(asBackend(fake), () => {
      asBackend(fake).free(buf);
    });
    expect(rec.held).toEqual([buf]);
    expect(fake.calls).toEqual([]); // the real free did not run
    expect(rec.replayable).toBe(true);
    const reads = recordBackendWork(asBackend(fake), () => {
      void asBackend(fake).readSync!(buf);
    });
    expect(reads.replayable).toBe(false);
  });
});
