export {
  capturedProbability,
  elementLogLikelihood,
  type LogLikelihoodOptions,
  type NbFamilyParams,
  nbFamilyLogLikelihood,
} from "./nb-family.js";
