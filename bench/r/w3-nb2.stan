// W3: NB2 regression, intercept + 5 covariates (BENCHMARKS.md §W3).
data {
  int<lower=0> N;
  int<lower=0> K;
  matrix[N, K] X;
  int<lower=0> y[N];
}
parameters {
  real alpha;
  vector[K] beta;
  real<lower=0> phi;
}
model {
  alpha ~ normal(0, 5);
  beta ~ normal(0, 2.5);
  phi ~ gamma(2, 0.1);
  y ~ neg_binomial_2_log(alpha + X * beta, phi);
}
