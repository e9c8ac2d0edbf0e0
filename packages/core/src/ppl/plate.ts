/**
 * `plate`: conditional independence, broadcasting and subsampling. Constructing a plate
 * sends a `plate` message (so `seed` can supply a key, and `substitute`/`replay` can fix
 * the subsample indices), allocates the rightmost free negative dim, and, while its body
 * runs, expands sample sites to the plate's batch shape, scales log-probs by
 * size / subsampleSize and slices full-size params and `subsample` data to the minibatch.
 * @module
 */
import { gather } from "../ops/indexing.js";
import { arange } from "../tensor/creation.js";
import { broadcastShapes, formatShape, type Shape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  baseFields,
  type CondIndepStackFrame,
  combineScale,
  type Message,
  type PlateMessage,
  type SubsampleMessage,
} from "./message.js";
import { applyStack, handlerStack, Messenger } from "./messenger.js";

/** Options of {@link plate}. */
export interface PlateOptions {
  /** Draw a minibatch of this many indices (without replacement) per run. */
  subsampleSize?: number;
  /** The (negative) batch dim to use; default: the rightmost dim not used by an enclosing plate. */
  dim?: number;
}

/** The batch shape implied by a list of plate frames: each frame's size at its dim, 1 elsewhere. */
export function plateBatchShape(frames: readonly CondIndepStackFrame[]): number[] {
  const n = frames.reduce((m, f) => Math.max(m, -f.dim), 0);
  const shape = new Array<number>(n).fill(1);
  for (const f of frames) shape[n + f.dim] = f.size;
  return shape;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * A plate as a handler object. Most code uses {@link plate}; construct one directly to
 * enter the same plate (same subsample indices) several times with `run`.
 */
export class PlateMessenger extends Messenger {
  /** Full size of the plate. */
  readonly size: number;
  /** Number of indices in the current minibatch (equals `size` without subsampling). */
  readonly subsampleSize: number;
  /** The negative batch dim this plate owns. */
  readonly dim: number;
  /** The int32 indices of the minibatch. */
  readonly indices: Tensor;

  constructor(
    readonly name: string,
    size: number,
    opts: PlateOptions = {},
  ) {
    super();
    if (!Number.isInteger(size) || size < 0)
      throw new Error(`plate '${name}': size must be a non-negative integer, got ${size}`);
    const requested = opts.subsampleSize ?? size;
    if (!Number.isInteger(requested) || requested < 0 || requested > size)
      throw new Error(
        `plate '${name}': subsampleSize must be an integer in [0, ${size}], got ${opts.subsampleSize}`,
      );
    this.size = size;
    const msg: PlateMessage = {
      ...baseFields(name),
      type: "plate",
      name,
      args: [size, requested],
      kwargs: { rngKey: null },
      value: requested === size ? arange(size) : null,
    };
    let indices: Tensor;
    let frames: CondIndepStackFrame[];
    if (handlerStack().length === 0) {
      if (msg.value === null)
        throw new Error(
          `plate '${name}': drawing ${requested} of ${size} subsample indices needs a random key; run the model under seed(model, key)`,
        );
      indices = msg.value;
      frames = [];
    } else {
      applyStack(msg);
      indices = msg.value as unknown as Tensor;
      frames = msg.condIndepStack;
    }
    if (indices.rank !== 1)
      throw new Error(
        `plate '${name}': subsample indices must be 1-d, got shape ${formatShape(indices.shape)}`,
      );
    const got = indices.shape[0]!;
    if (got !== requested && opts.subsampleSize !== undefined)
      console.warn(
        `plate '${name}': subsampleSize ${requested} does not match the ${got} indices supplied; did you use different subsampleSize in model and guide?`,
      );
    this.subsampleSize = got;
    this.indices = indices;
    const occupied = new Set(frames.map((f) => f.dim));
    if (opts.dim === undefined) {
      let d = -1;
      while (occupied.has(d)) d--;
      this.dim = d;
    } else {
      if (!Number.isInteger(opts.dim) || opts.dim >= 0)
        throw new Error(`plate '${name}': dim must be a negative integer, got ${opts.dim}`);
      if (occupied.has(opts.dim)) {
        const other = frames.find((f) => f.dim === opts.dim)!;
        throw new Error(
          `plate '${name}': dim ${opts.dim} is already used by the enclosing plate '${other.name}'`,
        );
      }
      this.dim = opts.dim;
    }
  }

  /** Run `body` inside the plate; it receives the minibatch indices. */
  runWith<R>(body: (indices: Tensor) => R): R {
    return this.run(() => body(this.indices));
  }

  /** Adds this plate's frame, expands sample sites and scales log-probs. */
  override processMessage(msg: Message): void {
    if (msg.type !== "sample" && msg.type !== "param" && msg.type !== "plate" && msg.type !== "deterministic")
      return;
    const blocked = msg.infer.blockPlates;
    if (blocked?.includes(this.name)) return;
    const frame: CondIndepStackFrame = { name: this.name, dim: this.dim, size: this.subsampleSize };
    msg.condIndepStack.push(frame);
    if (msg.type === "deterministic") return;
    if (msg.type === "sample") {
      const expected = plateBatchShape(msg.condIndepStack);
      const distBatch = [...msg.kwargs.sampleShape, ...msg.fn.batchShape];
      msg.kwargs = { ...msg.kwargs, sampleShape: [] };
      const overlap = Math.max(expected.length - distBatch.length, 0);
      let bcast: number[];
      try {
        bcast = broadcastShapes(expected.slice(overlap), distBatch);
      } catch {
        throw new Error(
          `site '${msg.name}': distribution batch shape ${formatShape(distBatch)} does not broadcast with the plate batch shape ${formatShape(expected)} (plate '${this.name}' of size ${this.subsampleSize} at dim ${this.dim}); give the distribution a size-1 or size-${this.subsampleSize} dim there`,
        );
      }
      const batch = [...expected.slice(0, overlap), ...bcast];
      if (!sameShape(batch, msg.fn.batchShape)) msg.fn = msg.fn.expand(batch);
    }
    if (this.size !== this.subsampleSize && this.subsampleSize > 0)
      msg.scale = combineScale(msg.scale, this.size / this.subsampleSize);
  }

  /** Slices full-size params (with an `eventDim`) and `subsample` data to the minibatch. */
  override postprocessMessage(msg: Message): void {
    if (msg.type !== "param" && msg.type !== "subsample") return;
    const eventDim = msg.kwargs.eventDim;
    if (eventDim === null || eventDim === undefined || msg.value === null) return;
    if (!Number.isInteger(eventDim) || eventDim < 0)
      throw new Error(`eventDim must be a non-negative integer, got ${eventDim}`);
    const d = this.dim - eventDim;
    const value = msg.value;
    if (value.rank < -d) return;
    const axis = value.rank + d;
    const n = value.shape[axis]!;
    if (n === 1) return;
    if (n !== this.size) {
      const what =
        msg.type === "param"
          ? `param '${msg.name}' (eventDim ${eventDim})`
          : `subsample(..., eventDim ${eventDim})`;
      throw new Error(
        `inside plate '${this.name}' (size ${this.size}, dim ${this.dim}): ${what} has shape ${formatShape(value.shape)}, whose dim ${d} should be ${this.size} or 1`,
      );
    }
    if (this.subsampleSize < this.size) msg.value = gather(value, this.indices, axis);
  }
}

/**
 * Declare conditionally independent sites: `body(indices)` runs inside the plate.
 * @example
 * const y = random.normal(key(1), [100]).add(2);
 * const model = () => {
 *   const mu = sample("mu", new Normal(0, 5));
 *   plate("data", 100, { subsampleSize: 10 }, (idx) => {
 *     sample("y", new Normal(mu, 1), { obs: y.index(idx) }); // batch shape [10], log-prob scaled by 10
 *   });
 * };
 * trace(seed(model, 0)).getTrace().get("y")!.value!.shape; // [10]
 */
export function plate<R>(name: string, size: number, body: (indices: Tensor) => R): R;
/** Plate with options (`subsampleSize`, `dim`). */
export function plate<R>(name: string, size: number, opts: PlateOptions, body: (indices: Tensor) => R): R;
export function plate<R>(
  name: string,
  size: number,
  optsOrBody: PlateOptions | ((indices: Tensor) => R),
  maybeBody?: (indices: Tensor) => R,
): R {
  const [opts, body] = typeof optsOrBody === "function" ? [{}, optsOrBody] : [optsOrBody, maybeBody];
  if (!body) throw new Error(`plate '${name}': missing body callback`);
  return new PlateMessenger(name, size, opts).runWith(body);
}

/**
 * Nested contiguous plates named `${prefix}_0`, `${prefix}_1`, ... with sizes listed
 * outermost first; the last one takes `rightmostDim`.
 * @example
 * const model = () => plateStack("p", [3, 4], () => sample("x", new Normal(0, 1)));
 * seed(model, 0)().shape; // [3, 4]: plates "p_0" (dim −2) and "p_1" (dim −1)
 */
export function plateStack<R>(prefix: string, sizes: readonly number[], body: () => R, rightmostDim = -1): R {
  const go = (i: number): R =>
    i === sizes.length
      ? body()
      : plate(`${prefix}_${i}`, sizes[i]!, { dim: rightmostDim - (sizes.length - 1 - i) }, () => go(i + 1));
  return go(0);
}

/**
 * Slice `data` along the enclosing plates' dims to their current minibatch (identity
 * without subsampling or outside any handler). `eventDim` counts trailing non-batch dims.
 * @example
 * const counts = random.poisson(key(0), 3, [100, 4]); // 100 cells × 4 genes
 * const model = () => plate("cells", 100, { subsampleSize: 8 }, () => subsample(counts, 1));
 * seed(model, 0)().shape; // [8, 4]: the minibatch's rows
 */
export function subsample(data: Tensor, eventDim: number): Tensor {
  if (handlerStack().length === 0) return data;
  const msg: SubsampleMessage = {
    ...baseFields(null),
    type: "subsample",
    name: null,
    args: [data],
    kwargs: { eventDim },
    value: null,
  };
  return applyStack(msg).value as Tensor;
}
