/**
 * Neural-network building blocks for amortized guides and decoders: layers implementing
 * core's `ModuleLike`, activations and initializers. Register them with `module(name, layer)`.
 * @module
 */
export { type Activation, activations, gelu, leakyRelu, relu, softplus, tanh } from "./activations.js";
export {
  type Initializer,
  kaimingNormal,
  kaimingUniform,
  ones,
  xavierNormal,
  xavierUniform,
  zeros,
} from "./initializers.js";
export {
  ActivationLayer,
  Dropout,
  type Layer,
  LayerNorm,
  Linear,
  type LinearOptions,
  Sequential,
} from "./layers.js";
export { MaskedLinear, type MaskedLinearOptions } from "./masked-linear.js";
export { type MLPOptions, mlp } from "./mlp.js";
