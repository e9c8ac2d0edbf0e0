/**
 * Subsample indices inside a compiled SVI step. A subsampled plate draws its indices on the host
 * from the key `seed` gives it (core's messenger default: `choice` of that key), which a
 * recorded step could not redraw: its upload would differ from step to step. Under
 * {@link KeyedSubsampleMessenger} the same indices come from core's `keyedHostDraw`, so they
 * are an input of the recorded program that each replay draws on the host from its own step
 * key along the same key path, and the program gathers with whatever indices it is given. The
 * values are those of the plate's own draw, bit for bit (the same function of the same key).
 * @module
 */
import { choiceIndices, keyedHostDraw, type Message, Messenger } from "@scribe/core";

/** Draws subsampled plates' indices as host inputs of a compiled step (see the module doc). */
export class KeyedSubsampleMessenger extends Messenger {
  override processMessage(msg: Message): void {
    // indices already given (replayed from the guide's trace, substituted) stay as they are;
    // without a key the plate's default raises its own error
    if (msg.type !== "plate" || msg.value !== null || msg.kwargs.rngKey === null) return;
    const [size, count] = msg.args;
    msg.value = keyedHostDraw(msg.kwargs.rngKey, (k) => choiceIndices(k, size, count), [count]);
  }
}
