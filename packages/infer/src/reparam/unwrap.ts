/**
 * Peel the Expanded / Independent wrappers that plates and `toEvent` put around a
 * distribution, and put equivalent ones back around a replacement.
 * @module
 */
import type { DistributionLike } from "@scribe/core";
import { type Distribution, ExpandedDistribution, Independent } from "@scribe/distributions";

/** The innermost distribution under Expanded/Independent wrappers. */
export function unwrap(fn: DistributionLike): Distribution {
  let d = fn as unknown as Distribution;
  for (;;) {
    if (d instanceof ExpandedDistribution) d = d.base;
    else if (d instanceof Independent) d = d.base;
    else return d;
  }
}

/** `replacement` expanded to the batch shape and event dims of `like`. */
export function rewrap(replacement: Distribution, like: DistributionLike): Distribution {
  const full = [...like.batchShape, ...like.eventShape];
  const cur = [...replacement.batchShape, ...replacement.eventShape];
  let d = replacement;
  if (cur.length !== full.length || cur.some((x, i) => x !== full[i])) {
    if (d.eventShape.length > 0) d = d.expand(full.slice(0, full.length - d.eventShape.length));
    else d = d.expand(full);
  }
  const extra = like.eventShape.length - d.eventShape.length;
  return extra > 0 ? d.toEvent(extra) : d;
}
