/**
 * The model families by name: every consumer reaches a family's behaviour through
 * {@link familyOf} (the configuration records its family, `cfg.family`).
 * @module
 */
import type { ModelConfig } from "../models/config.js";
import type { ModelFamily } from "./family.js";
import { nbFamily } from "./nb.js";
import type { FamilyName } from "./traits.js";
import { twoStateFamily } from "./two-state.js";

/** The family registered under `name`. */
export function familyByName(name: FamilyName): ModelFamily {
  // resolved at call time, so that the family modules (which import models/) load first
  switch (name) {
    case "nb":
      return nbFamily;
    case "two_state":
      return twoStateFamily;
  }
}

/** The family of a configured model. */
export function familyOf(cfg: Pick<ModelConfig, "family">): ModelFamily {
  return familyByName(cfg.family);
}
