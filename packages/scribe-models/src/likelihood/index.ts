export {
  capturedProbability,
  elementLogLikelihood,
  type LogLikelihoodOptions,
  type NbFamilyParams,
  nbFamilyLogLikelihood,
  reduceLogLikelihood,
} from "./nb-family.js";
export {
  type TwoStateLogLikelihoodOptions,
  type TwoStateParams,
  twoStateElementLogLikelihood,
  twoStateLogLikelihood,
} from "./two-state.js";
