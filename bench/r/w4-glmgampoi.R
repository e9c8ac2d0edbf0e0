# W4 peer: glmGamPoi on a genes x samples TSV count matrix (no header).
# Usage: Rscript w4-glmgampoi.R <counts.tsv> <conditions.txt> <out.tsv> [reference]
# Writes one row per gene: lfc, f, pval, padj, overdispersion, trend, s2post; prints timings.
suppressPackageStartupMessages(library(glmGamPoi))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.table(args[1], sep = "\t", header = FALSE))
dimnames(counts) <- NULL
cond <- readLines(args[2])
ref <- if (length(args) >= 4) args[4] else sort(unique(cond))[1]
condition <- relevel(factor(cond), ref = ref)
tm <- system.time({
  fit <- glm_gp(counts, design = ~ condition, col_data = data.frame(condition = condition),
                size_factors = "normed_sum", on_disk = FALSE)
  res <- test_de(fit, contrast = paste0("condition", setdiff(levels(condition), ref)[1]))
})
out <- data.frame(lfc = res$lfc, f = res$f_statistic, pval = res$pval, padj = res$adj_pval,
                  overdispersion = fit$overdispersions,
                  trend = fit$overdispersion_shrinkage_list$dispersion_trend,
                  s2post = fit$overdispersion_shrinkage_list$ql_disp_shrunken)
write.table(out, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
cat(sprintf("glmGamPoi elapsed %.3f cpu %.3f d0 %.4f\n", tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]],
            fit$overdispersion_shrinkage_list$ql_df0[1]))
