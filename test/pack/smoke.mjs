// Run inside a fresh project that installed the four packed tarballs (see pack-install.test.ts):
// a Gamma–Poisson model fit by SVI, whose posterior is Gamma(2 + Σy, 1 + N) in closed form.
// Prints one JSON line the test checks; imports only the published entry points.
import { key, param, plate, sample, tensor } from "@scribe/core";
import { Gamma, Poisson, positive } from "@scribe/distributions";
import { adam, SVI, TraceMeanFieldELBO } from "@scribe/infer";
import { lossPlot, nbFit } from "@scribe/models";

const Y = [3, 5, 4, 6, 2, 4, 5, 3, 4, 7];
const model = (y) => {
  const lam = sample("lam", new Gamma(2, 1));
  plate("obs", Y.length, () => sample("y", new Poisson(lam), { obs: y }));
};
const guide = () => {
  const c = param("c", tensor(10), { constraint: positive });
  const r = param("r", tensor(2), { constraint: positive });
  sample("lam", new Gamma(c, r));
};
const svi = new SVI(model, guide, adam(0.05), new TraceMeanFieldELBO({ numParticles: 4 }));
const { params } = await svi.run(key(1), 800, [tensor(Y)]);
const [c] = await params.c.data();
const [r] = await params.r.data();
const exact = (2 + Y.reduce((a, b) => a + b, 0)) / (1 + Y.length);
console.log(JSON.stringify({ posteriorMean: c / r, exact, nbFit: typeof nbFit, lossPlot: typeof lossPlot }));
