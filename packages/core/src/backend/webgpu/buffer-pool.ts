/// <reference types="@webgpu/types" />
/**
 * Pooled GPU storage buffers by power-of-two size class. A freed buffer is parked until the
 * commands recorded so far are submitted (they may still read it), then becomes reusable;
 * `live` counts buffers handed out and not yet returned, which is what scopes must keep flat.
 */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #usage: number;
  readonly #free = new Map<number, GPUBuffer[]>();
  #parked: GPUBuffer[] = [];
  #live = 0;
  #created = 0;

  constructor(device: GPUDevice, usage: number) {
    this.#device = device;
    this.#usage = usage;
  }

  /** The size class (bytes) a request of `bytes` is served from: a power of two, at least 256. */
  static sizeClass(bytes: number): number {
    let c = 256;
    while (c < bytes) c *= 2;
    return c;
  }

  acquire(bytes: number): GPUBuffer {
    const cls = BufferPool.sizeClass(bytes);
    const list = this.#free.get(cls);
    this.#live++;
    const hit = list?.pop();
    if (hit) return hit;
    this.#created++;
    return this.#device.createBuffer({ size: cls, usage: this.#usage });
  }

  /** Return a buffer; it is reused only after {@link BufferPool.recycleParked} (after a submit). */
  release(buf: GPUBuffer): void {
    this.#live--;
    this.#parked.push(buf);
  }

  /** Called after a queue submit: parked buffers may now be overwritten by later work. */
  recycleParked(): void {
    for (const b of this.#parked) {
      const cls = b.size;
      let list = this.#free.get(cls);
      if (!list) {
        list = [];
        this.#free.set(cls, list);
      }
      list.push(b);
    }
    this.#parked = [];
  }

  /** Buffers handed out and not released. */
  get live(): number {
    return this.#live;
  }

  /** GPU buffers ever created by this pool (flat in a steady loop when reuse works). */
  get created(): number {
    return this.#created;
  }
}
