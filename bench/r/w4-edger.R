# W4 peer: edgeR quasi-likelihood (legacy QL pipeline of edgeR 3.x) on a genes x samples TSV.
# Usage: Rscript w4-edger.R <counts.tsv> <conditions.txt> <out.tsv> [reference]
suppressPackageStartupMessages(library(edgeR))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.table(args[1], sep = "\t", header = FALSE))
dimnames(counts) <- NULL
cond <- readLines(args[2])
ref <- if (length(args) >= 4) args[4] else sort(unique(cond))[1]
condition <- relevel(factor(cond), ref = ref)
design <- model.matrix(~ condition)
tm <- system.time({
  y <- DGEList(counts)
  y <- calcNormFactors(y)
  y <- estimateDisp(y, design)
  fit <- glmQLFit(y, design)
  res <- glmQLFTest(fit, coef = 2)
})
tab <- res$table
out <- data.frame(lfc = tab$logFC, f = tab$F, pval = tab$PValue, padj = p.adjust(tab$PValue, "BH"))
write.table(out, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
cat(sprintf("edgeR elapsed %.3f cpu %.3f\n", tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]]))
