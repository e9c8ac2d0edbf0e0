# Reference values from R's loo (Debian r-cran-loo, 2.5.1) for scribe's model comparison
# (packages/infer/src/model-comparison). Two modes:
#
#   Rscript bench/r/loo-reference.R fixtures OUTDIR
#       simulate the reference matrices (seeded) and write OUTDIR/<case>.json with the
#       matrix and loo's psis-loo, waic, relative_eff, loo_compare, stacking and pseudo-BMA
#       outputs (run once; the JSON is committed in test/fixtures/loo/)
#   Rscript bench/r/loo-reference.R matrix IN.json OUT.json
#       IN.json: {"S":…, "n":…, "ll":[row-major S×n], "r_eff":[…] or null, "chain_id":[…] or null,
#                 "lpd":[[…model 1…],[…model 2…]] or null}; OUT.json: loo's outputs
#       (the live agreement test, test/infer/model-comparison-loo-live.test.ts)
suppressPackageStartupMessages({
  library(loo)
  library(jsonlite)
})

as_matrix <- function(flat, S, n) matrix(unlist(flat), nrow = S, ncol = n, byrow = TRUE)

psis_out <- function(ll, r_eff) {
  l <- suppressWarnings(loo(ll, r_eff = r_eff))
  w <- suppressWarnings(waic(ll))
  list(
    loo = list(
      estimates = as.list(as.data.frame(t(l$estimates[, "Estimate"]))),
      se = as.list(as.data.frame(t(l$estimates[, "SE"]))),
      elpd_loo = l$pointwise[, "elpd_loo"],
      p_loo = l$pointwise[, "p_loo"],
      looic = l$pointwise[, "looic"],
      pareto_k = l$diagnostics$pareto_k,
      n_eff = l$diagnostics$n_eff
    ),
    waic = list(
      estimates = as.list(as.data.frame(t(w$estimates[, "Estimate"]))),
      se = as.list(as.data.frame(t(w$estimates[, "SE"]))),
      elpd_waic = w$pointwise[, "elpd_waic"],
      p_waic = w$pointwise[, "p_waic"]
    )
  )
}

weights_out <- function(lpd, seed = 7) {
  set.seed(seed)
  list(
    stacking = as.numeric(stacking_weights(lpd)),
    pseudobma = as.numeric(pseudobma_weights(lpd, BB = FALSE)),
    pseudobma_bb = as.numeric(pseudobma_weights(lpd, BB = TRUE, BB_n = 4000))
  )
}

write_case <- function(path, case) {
  writeLines(toJSON(case, digits = NA, auto_unbox = TRUE, null = "null"), path)
}

normal_ll <- function(y, mu, sigma) {
  S <- length(mu)
  t(vapply(seq_len(S), function(s) dnorm(y, mu[s], sigma[s], log = TRUE), numeric(length(y))))
}

# Exact posterior draws of (mu, sigma) of a normal model with the flat prior p(mu, log sigma) ∝ 1.
normal_posterior <- function(y, S) {
  n <- length(y)
  s2 <- var(y)
  sigma2 <- (n - 1) * s2 / rchisq(S, n - 1)
  mu <- rnorm(S, mean(y), sqrt(sigma2 / n))
  list(mu = mu, sigma = sqrt(sigma2))
}

fixtures <- function(outdir) {
  dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
  set.seed(20260101)
  # 1. well-behaved: normal data, independent draws (r_eff = 1)
  y <- rnorm(20, 1, 2)
  post <- normal_posterior(y, 1000)
  ll <- normal_ll(y, post$mu, post$sigma)
  write_case(file.path(outdir, "normal.json"), c(list(
    description = "normal model, 20 observations, 1000 independent exact posterior draws (r_eff = 1)",
    S = nrow(ll), n = ncol(ll), ll = as.vector(t(ll)), r_eff = rep(1, ncol(ll))), psis_out(ll, rep(1, ncol(ll)))))

  # 2. heavy tails: a normal model fitted to data with gross outliers (k-hat > 0.7)
  y2 <- c(rnorm(27, 0, 1), 9, 12, -15)
  post2 <- normal_posterior(y2, 1000)
  ll2 <- normal_ll(y2, post2$mu, post2$sigma)
  # a t-model of the same data (heavier tails, better LOO): random-walk Metropolis on
  # (mu, log sigma), thinned by 5
  nu <- 3
  t_ll <- function(mu, sigma) dt((y2 - mu) / sigma, nu, log = TRUE) - log(sigma)
  cur <- c(median(y2), 0)
  cur_lp <- sum(t_ll(cur[1], exp(cur[2])))
  draws <- matrix(0, 1000, 2)
  for (it in 1:6000) {
    prop <- cur + rnorm(2, 0, c(0.4, 0.3))
    lp <- sum(t_ll(prop[1], exp(prop[2])))
    if (log(runif(1)) < lp - cur_lp) {
      cur <- prop
      cur_lp <- lp
    }
    if (it > 1000 && it %% 5 == 0) draws[(it - 1000) / 5, ] <- cur
  }
  ll2t <- t(vapply(1:1000, function(s) t_ll(draws[s, 1], exp(draws[s, 2])), numeric(length(y2))))
  heavy <- psis_out(ll2, rep(1, ncol(ll2)))
  write_case(file.path(outdir, "heavy-tail.json"), c(list(
    description = "normal model of data with three gross outliers (k-hat > 0.7), 2000 draws",
    S = nrow(ll2), n = ncol(ll2), ll = as.vector(t(ll2)), r_eff = rep(1, ncol(ll2))), heavy))
  heavy_t <- psis_out(ll2t, rep(1, ncol(ll2t)))
  write_case(file.path(outdir, "heavy-tail-t.json"), c(list(
    description = "Student-t (nu = 3) model of the heavy-tail data, 1000 Metropolis draws",
    S = nrow(ll2t), n = ncol(ll2t), ll = as.vector(t(ll2t)), r_eff = rep(1, ncol(ll2t))), heavy_t))

  # 2b. ties: 400 draws resampled with replacement from 6 distinct ones (constant tails, k-hat = Inf)
  ll_ties <- ll2[sample.int(6, 400, replace = TRUE), ]
  write_case(file.path(outdir, "ties.json"), c(list(
    description = "400 draws resampled from 6 distinct rows of the heavy-tail matrix (constant tails give k-hat = Inf)",
    S = nrow(ll_ties), n = ncol(ll_ties), ll = as.vector(t(ll_ties)), r_eff = rep(1, ncol(ll_ties))), psis_out(ll_ties, rep(1, ncol(ll_ties)))))

  # 3. MCMC-like: 4 autocorrelated chains (AR(1) around exact draws), relative_eff from chains
  y3 <- rnorm(15, -1, 1.5)
  S_chain <- 250
  chains <- 4
  mu3 <- numeric(0)
  for (c in seq_len(chains)) {
    e <- numeric(S_chain)
    e[1] <- rnorm(1)
    for (t in 2:S_chain) e[t] <- 0.7 * e[t - 1] + sqrt(1 - 0.49) * rnorm(1)
    mu3 <- c(mu3, mean(y3) + e * 1.5 / sqrt(15))
  }
  ll3 <- normal_ll(y3, mu3, rep(1.5, length(mu3)))
  chain_id <- rep(seq_len(chains), each = S_chain)
  r_eff3 <- relative_eff(exp(ll3), chain_id = chain_id)
  write_case(file.path(outdir, "chains.json"), c(list(
    description = "known-sigma normal model, 4 AR(0.7) chains of 250 draws; r_eff from loo::relative_eff(exp(ll), chain_id)",
    S = nrow(ll3), n = ncol(ll3), ll = as.vector(t(ll3)), chain_id = chain_id, r_eff = r_eff3), psis_out(ll3, r_eff3)))

  # 4. few draws (S = 100): sample-size-dependent threshold, tail length 20
  ll4 <- ll2[1:100, ]
  write_case(file.path(outdir, "small-s.json"), c(list(
    description = "first 100 draws of the heavy-tail matrix",
    S = nrow(ll4), n = ncol(ll4), ll = as.vector(t(ll4)), r_eff = rep(1, ncol(ll4))), psis_out(ll4, rep(1, ncol(ll4)))))

  # 5. comparison and weights: the normal and t models of the heavy-tail data, plus a third
  #    (normal with sigma fixed at the sample sd of the bulk), then a case where one model
  #    dominates (its weight hits the boundary)
  post5 <- normal_posterior(y2, 1000)
  ll5 <- normal_ll(y2, post5$mu, rep(sd(y2[1:27]), 1000))
  lpd <- cbind(heavy$loo$elpd_loo, heavy_t$loo$elpd_loo, psis_out(ll5, rep(1, ncol(ll5)))$loo$elpd_loo)
  l1 <- suppressWarnings(loo(ll2, r_eff = rep(1, ncol(ll2))))
  l2 <- suppressWarnings(loo(ll2t, r_eff = rep(1, ncol(ll2t))))
  l3 <- suppressWarnings(loo(ll5, r_eff = rep(1, ncol(ll5))))
  cmp <- loo_compare(list(normal = l1, student_t = l2, fixed_sigma = l3))
  # three models, each best on its own third of 60 observations: interior stacking weights
  lpd_interior <- matrix(rnorm(180, -2, 0.3), 60, 3)
  for (k in 1:3) lpd_interior[(20 * (k - 1) + 1):(20 * k), k] <- lpd_interior[(20 * (k - 1) + 1):(20 * k), k] + c(1.5, 1, 0.5)[k]
  write_case(file.path(outdir, "weights.json"), list(
    description = "pointwise elpd_loo of three models of the heavy-tail data; loo_compare, stacking and pseudo-BMA(+) weights",
    models = c("normal", "student_t", "fixed_sigma"),
    lpd = lapply(seq_len(ncol(lpd)), function(k) lpd[, k]),
    compare = list(model = rownames(cmp), elpd_diff = cmp[, "elpd_diff"], se_diff = cmp[, "se_diff"]),
    weights = weights_out(lpd),
    weights_two = weights_out(lpd[, 1:2]),
    weights_mixed = weights_out(cbind(heavy$loo$elpd_loo, heavy_t$loo$elpd_loo + c(rep(-0.3, 27), rep(0, 3)))),
    lpd_interior = lapply(1:3, function(k) lpd_interior[, k]),
    weights_interior = weights_out(lpd_interior)
  ))
}

matrix_mode <- function(inp, out) {
  x <- fromJSON(inp, simplifyVector = TRUE)
  ll <- as_matrix(x$ll, x$S, x$n)
  res <- list()
  r_eff <- if (is.null(x$r_eff)) rep(1, x$n) else x$r_eff
  if (!is.null(x$chain_id)) {
    r_eff <- relative_eff(exp(ll), chain_id = x$chain_id)
    res$r_eff <- r_eff
  }
  res <- c(res, psis_out(ll, r_eff))
  if (!is.null(x$lpd)) {
    lpd <- do.call(cbind, lapply(seq_len(nrow(x$lpd)), function(k) x$lpd[k, ]))
    res$weights <- weights_out(lpd)
  }
  write_case(out, res)
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) >= 2 && args[1] == "fixtures") {
  fixtures(args[2])
} else if (length(args) == 3 && args[1] == "matrix") {
  matrix_mode(args[2], args[3])
} else {
  stop("usage: loo-reference.R fixtures OUTDIR | matrix IN.json OUT.json")
}
