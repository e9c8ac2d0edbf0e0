/**
 * Messages: what a primitive sends through the handler stack. A discriminated union on
 * `type`, with NumPyro's message fields in camelCase. A trace is an insertion-ordered map
 * from site name to the (copied) message.
 * @module
 */
import type { Key } from "../random/index.js";
import type { Shape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ConstraintLike, DistributionLike } from "./distribution-like.js";

/** One enclosing plate as seen by a site: its name, its (negative) dim and its subsample size. */
export interface CondIndepStackFrame {
  readonly name: string;
  readonly dim: number;
  readonly size: number;
}

/** A log-prob multiplier: a number, or a tensor broadcasting with the site's batch shape. */
export type ScaleValue = number | Tensor;

/**
 * Free-form per-site inference hints (`isAuxiliary`, `wasObserved`, `enumerate`,
 * `blockPlates`, ...), merged by `inferConfig` and copied by `replay`.
 */
export type InferConfig = { [key: string]: unknown; blockPlates?: readonly string[]; isAuxiliary?: boolean };

/** Fields every message carries. */
export interface MessageBase {
  /** Site name; `null` for anonymous helper messages (prngKey, subsample). */
  name: string | null;
  /** Set to stop outer handlers from processing (and post-processing) the message. */
  stop: boolean;
  /** Multiplier on the site's log-probability (`null` means 1). */
  scale: ScaleValue | null;
  /** Frames of the plates the site lives in, innermost first. */
  condIndepStack: CondIndepStackFrame[];
  /** Inference hints. */
  infer: InferConfig;
}

/** A `sample` site. */
export interface SampleMessage extends MessageBase {
  type: "sample";
  name: string;
  /** The distribution; handlers may replace it (plate expands, mask masks, reparam rewrites). */
  fn: DistributionLike;
  args: [];
  kwargs: { rngKey: Key | null; sampleShape: Shape };
  value: Tensor | null;
  isObserved: boolean;
  /** Mask applied to the log-prob when `fn` has no `mask` method (false entries contribute 0). */
  mask: Tensor | boolean | null;
  /** Cached sampling intermediates (kept for interface parity; empty unless a fn fills it). */
  intermediates: unknown[];
}

/** Initial value of a param: a tensor, or a function of a random key giving one. */
export type ParamInit = Tensor | ((key: Key | null) => Tensor);

/** A `param` site. */
export interface ParamMessage extends MessageBase {
  type: "param";
  name: string;
  /** The initializer, called (with `prngKey()`) only when no handler provided a value. */
  fn: ParamInit;
  args: [];
  kwargs: { constraint: ConstraintLike | null; eventDim: number | null };
  value: Tensor | null;
}

/** The message a plate sends on construction; its value is the int32 subsample indices. */
export interface PlateMessage extends MessageBase {
  type: "plate";
  name: string;
  args: [size: number, subsampleSize: number];
  kwargs: { rngKey: Key | null };
  value: Tensor | null;
}

/** A `deterministic` site: a named value recorded in the trace. */
export interface DeterministicMessage extends MessageBase {
  type: "deterministic";
  name: string;
  value: Tensor | null;
}

/** A request for a random key from the enclosing `seed`. */
export interface PrngKeyMessage extends MessageBase {
  type: "prngKey";
  name: null;
  kwargs: { rngKey: Key | null };
  value: Key | null;
}

/** Data to be sliced by the enclosing plates' subsample indices. */
export interface SubsampleMessage extends MessageBase {
  type: "subsample";
  name: null;
  args: [data: Tensor];
  kwargs: { eventDim: number };
  value: Tensor | null;
}

/** Every message type. */
export type Message =
  | SampleMessage
  | ParamMessage
  | PlateMessage
  | DeterministicMessage
  | PrngKeyMessage
  | SubsampleMessage;

/** The `type` tags. */
export type MessageType = Message["type"];

/** Messages that have a site name and are recorded by `trace`. */
export type SiteMessage = SampleMessage | ParamMessage | PlateMessage | DeterministicMessage;

/** An execution trace: site name → message, in the order sites ran. */
export type Trace = Map<string, SiteMessage>;

/** Fresh base fields. */
export function baseFields(name: string | null): MessageBase {
  return { name, stop: false, scale: null, condIndepStack: [], infer: {} };
}

/** A shallow copy (arrays and `infer` copied one level) so later mutation does not leak. */
export function copyMessage<M extends Message>(msg: M): M {
  const out = { ...msg, condIndepStack: [...msg.condIndepStack], infer: { ...msg.infer } } as M;
  if ("kwargs" in msg) (out as { kwargs: unknown }).kwargs = { ...msg.kwargs };
  return out;
}

/** True when the message is a sample site. */
export function isSample(msg: Message): msg is SampleMessage {
  return msg.type === "sample";
}

/** Multiply two optional scales (`null` means 1). */
export function combineScale(a: ScaleValue | null, b: ScaleValue | null): ScaleValue | null {
  if (a === null) return b;
  if (b === null) return a;
  if (typeof a === "number" && typeof b === "number") return a * b;
  if (typeof a === "number") return (b as Tensor).mul(a);
  return a.mul(b);
}
