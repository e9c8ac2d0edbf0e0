/**
 * The encoder and decoder MLPs of the VAE, built from `@scribe/infer`'s `nn` layers. The
 * encoder maps transformed counts [B, G] to [B, 2K] (location and log-variance of q(z | x));
 * the decoder maps z [B, K] to [B, G] (the gene head) or [B, 2G] (gene head, then gate logits,
 * for the zero-inflated models). Hidden weights He-uniform (ReLU-like activations) or
 * Xavier; output weights Xavier; the gene head's bias starts at a data-driven value (see
 * `geneHeadBias` in vae-spec.ts) so training starts near the data's per-gene means.
 * @module
 */
import { fromTypedArray, type Tensor } from "@scribe/core";
import { nn } from "@scribe/infer";

/** The two networks. */
export interface VaeNetworks {
  readonly encoder: nn.Sequential;
  readonly decoder: nn.Sequential;
}

function activation(name: string): nn.Activation {
  const f = nn.activations[name];
  if (!f)
    throw new Error(
      `fit (vae): unknown activation '${name}' (known: ${Object.keys(nn.activations).join(", ")})`,
    );
  return f;
}

function stack(sizes: readonly number[], act: string, outBias: Float32Array | null): nn.Sequential {
  const reluLike = act === "relu" || act === "leakyRelu";
  const hiddenInit = reluLike ? nn.kaimingUniform() : nn.xavierUniform();
  const f = activation(act);
  const layers: nn.Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const last = i + 2 === sizes.length;
    const biasInit: nn.Initializer | undefined =
      last && outBias ? (_k, shape) => fromTypedArray(outBias, [...shape]) : undefined;
    layers.push(
      new nn.Linear(sizes[i]!, sizes[i + 1]!, {
        weightInit: last ? nn.xavierUniform() : hiddenInit,
        ...(biasInit ? { biasInit } : {}),
      }),
    );
    if (!last) layers.push(new nn.ActivationLayer(f));
  }
  return new nn.Sequential(layers);
}

/**
 * Build the encoder [G → hidden… → 2K] and decoder [K → hidden… → G·(1 + zi)], or
 * [K → hidden… → `decoderOutputs`] where given (the logistic-normal families' latent dimension).
 * `decoderBias` (one value per decoder output) is the decoder output layer's initial bias.
 * @example
 * const nets = vaeNetworks(50, 2, [32], [32], "relu", 1, new Float32Array(50));
 * nets.decoder.apply(nets.decoder.init(key(0)), zeros([4, 2])).shape; // [4, 50]
 */
export function vaeNetworks(
  nGenes: number,
  latentDim: number,
  encoderHidden: readonly number[],
  decoderHidden: readonly number[],
  act: string,
  heads: 1 | 2,
  decoderBias: Float32Array,
  decoderOutputs = nGenes * heads,
): VaeNetworks {
  if (decoderBias.length !== decoderOutputs)
    throw new Error(`vaeNetworks: decoder bias has ${decoderBias.length} values, expected ${decoderOutputs}`);
  return {
    encoder: stack([nGenes, ...encoderHidden, 2 * latentDim], act, null),
    decoder: stack([latentDim, ...decoderHidden, decoderOutputs], act, decoderBias),
  };
}

/** The params of module `name` in a fitted params record (names `${name}$params.${p}`), by layer param name. */
export function moduleParams(params: Readonly<Record<string, Tensor>>, name: string): Record<string, Tensor> {
  const prefix = `${name}$params.`;
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(params)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}
