# W4 peer: DESeq2 Wald test (default pipeline) on a genes x samples TSV.
# Usage: Rscript w4-deseq2.R <counts.tsv> <conditions.txt> <out.tsv> [reference]
suppressPackageStartupMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.table(args[1], sep = "\t", header = FALSE))
dimnames(counts) <- NULL
storage.mode(counts) <- "integer"
cond <- readLines(args[2])
ref <- if (length(args) >= 4) args[4] else sort(unique(cond))[1]
cd <- data.frame(condition = relevel(factor(cond), ref = ref))
tm <- system.time({
  dds <- DESeqDataSetFromMatrix(counts, cd, ~ condition)
  dds <- DESeq(dds, quiet = TRUE)
  res <- results(dds)
})
out <- data.frame(lfc = res$log2FoldChange, f = res$stat, pval = res$pvalue, padj = res$padj)
write.table(out, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
cat(sprintf("DESeq2 elapsed %.3f cpu %.3f\n", tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]]))
