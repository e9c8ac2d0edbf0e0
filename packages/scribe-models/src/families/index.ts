/**
 * Model families behind one interface (`ModelFamily`): the NB family and the TwoState family,
 * their static traits, and the registry every consumer dispatches through.
 * @module
 */
export * from "./dataset-factors.js";
export * from "./family.js";
export * from "./nb.js";
export * from "./registry.js";
export * from "./traits.js";
export * from "./two-state.js";
