/**
 * Plates that enclose a whole SCRIBE model call: the particle plate of an ELBO with
 * `vectorizeParticles` (NumPyro's `vectorize_particles`), or a user's plate around the model.
 * NumPyro places such a plate left of every dim the model's own plates and batch shapes use
 * (dim −(maxPlateNesting + 1)), so a site's value is aligned from the right: a scalar `p`
 * drawn under a particle plate at dim −2 is [n, 1], a per-gene `r` is [n, G], a per-cell
 * `p_capture` [n, B]. The model's parameter code works on values of the form
 * [outer…, natural…] (one leading block, the same for every site), so each value is brought to
 * that form here: the outer plates' axes first, the unit axes between them and the site's own
 * axes dropped.
 * @module
 */
import { handlerStack, PlateMessenger, type Tensor } from "@scribe/core";

/** The axes of the plates enclosing a model call, as a leading block of every site's value. */
export interface OuterBatch {
  /** The outer plates' batch shape, left of the model's dims (the plates' sizes, 1 between). */
  readonly shape: readonly number[];
  /** How many rightmost batch dims the enclosing plates leave to the model (its plate nesting). */
  readonly nesting: number;
}

/** The plates active now: at the start of a model or guide call, those that enclose it. */
export function enclosingPlates(): PlateMessenger[] {
  return handlerStack().filter((h): h is PlateMessenger => h instanceof PlateMessenger);
}

/**
 * A draw `x` of a factor whose event dims are a whole site of batch rank `siteRank` (the
 * low-rank or flow factor of the gene parameter, event [G] or [K, G]), laid out as the model's
 * site: under enclosing plates `x` is [outer…, 1…, site…] (the factor's batch shape, expanded by
 * the plates), while the model's site has its axes as batch dims aligned to the right. So up to
 * `siteRank` unit dims right of the outer axes are dropped: [n, 1, G] → [n, G] under a particle
 * plate at dim −2.
 */
export function alignToSite(x: Tensor, eventRank: number, siteRank: number): Tensor {
  const lead = x.shape.slice(0, x.rank - eventRank);
  let keep = lead.length;
  while (keep > 0 && lead.length - keep < siteRank && lead[keep - 1] === 1) keep--;
  return keep === lead.length ? x : x.reshape([...lead.slice(0, keep), ...x.shape.slice(lead.length)]);
}

/**
 * The plates active when the model starts (null when there are none). `required`: the dims
 * the model needs to the right of them (its cell plate, and the component and gene axes of
 * its parameters); a plate inside that range is refused with the nesting to use.
 */
export function outerBatch(model: string, required: number): OuterBatch | null {
  const plates = enclosingPlates();
  if (plates.length === 0) return null;
  const nesting = Math.min(...plates.map((p) => -p.dim)) - 1;
  if (nesting < required) {
    const inside = plates.find((p) => -p.dim <= required)!;
    throw new Error(
      `${model}: the enclosing plate '${inside.name}' sits at dim ${inside.dim}, inside the ${required} rightmost batch dims the model uses (its cell plate and parameter axes); place it at dim ${-(required + 1)} or further left (for vectorized particles: maxPlateNesting: ${required})`,
    );
  }
  const depth = Math.max(...plates.map((p) => -p.dim));
  const shape = new Array<number>(depth - nesting).fill(1);
  for (const p of plates) shape[depth + p.dim] = p.subsampleSize;
  return { shape, nesting };
}

/**
 * A site's value as [outer…, own…]: `own` is the site's own batch rank (its natural batch
 * axes; a cell site: the cell axis) and `eventRank` its event rank. The value's batch dims left
 * of the model's `nesting` dims are the outer axes (padded with 1 to the outer block's length);
 * those between them and the site's own axes must be 1.
 */
export function toOuterForm(
  v: Tensor,
  outer: OuterBatch,
  own: number,
  eventRank: number,
  site: string,
): Tensor {
  const batch = v.shape.slice(0, v.rank - eventRank);
  const event = v.shape.slice(v.rank - eventRank);
  const L = outer.shape.length;
  const lead = batch.slice(0, Math.max(0, batch.length - outer.nesting));
  const pad = batch.slice(lead.length, batch.length - own);
  if (lead.length > L || pad.some((d) => d !== 1))
    throw new Error(
      `site '${site}': value of shape [${v.shape}] does not fit the enclosing plates' batch shape [${outer.shape}] left of the model's ${outer.nesting} dims (a guide that draws the site with its axes as event dims must lay the draw out as the model's site, as guides/guide.ts does with alignToSite)`,
    );
  const shape = [
    ...new Array<number>(L - lead.length).fill(1),
    ...lead,
    ...batch.slice(batch.length - own),
    ...event,
  ];
  return v.rank === shape.length && v.shape.every((d, i) => d === shape[i]) ? v : v.reshape(shape);
}
