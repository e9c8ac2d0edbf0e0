# W3: run one Stan NUTS chain (1000 warmup + 1000 draws, diagonal metric, adapt_delta 0.8,
# max treedepth 10) and print the smallest bulk ESS over parameters and the timings.
# Usage: Rscript w3-stan.R model.stan data.R seed
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(rstan))
env <- new.env()
sys.source(args[2], envir = env)
data <- as.list(env)
# Debian's r-cran-bh ships no headers (it uses the system Boost): point rstan at /usr/include.
bh <- system.file("include", package = "BH")
sm <- if (nzchar(bh)) stan_model(args[1]) else stan_model(args[1], boost_lib = "/usr/include")
fit <- sampling(sm, data = data, chains = 1, iter = 2000, warmup = 1000, seed = as.integer(args[3]),
                control = list(adapt_delta = 0.8, max_treedepth = 10), refresh = 0)
t <- get_elapsed_time(fit)
arr <- as.array(fit)
pars <- setdiff(dimnames(arr)[[3]], "lp__")
ess <- sapply(pars, function(p) ess_bulk(matrix(arr[, 1, p], ncol = 1)))
steps <- sum(get_sampler_params(fit, inc_warmup = FALSE)[[1]][, "n_leapfrog__"])
cat(sprintf("RESULT %.6f %.6f %.6f %d\n", min(ess), t[1, "warmup"], t[1, "sample"], steps))
