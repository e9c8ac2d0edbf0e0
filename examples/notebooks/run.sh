#!/usr/bin/env bash
# Executes every notebook here headless with Deno's Jupyter kernel (`npm run notebooks`), failing
# on the first cell error. Needs Debian's jupyter-nbconvert and python3-nbclient
# (`apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel`) and a build
# (`npm run build`: deno.json maps the packages to their dist/). Executed copies go to
# out/notebooks/ (the source notebooks stay without outputs), where `npm run docs` reads them.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v jupyter-nbconvert >/dev/null || {
  echo "notebooks: jupyter-nbconvert is missing (apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel)" >&2
  exit 1
}
for pkg in core distributions infer scribe-models; do
  [ -f "packages/$pkg/dist/index.js" ] || { echo "notebooks: packages/$pkg/dist is missing; run npm run build" >&2; exit 1; }
done
# The kernelspec points at this checkout's deno (an npm devDependency).
npx deno jupyter --install --force >/dev/null 2>&1
out=out/notebooks
mkdir -p "$out"
for nb in examples/notebooks/*.ipynb; do
  start=$(date +%s)
  # The kernel's working directory is the notebook's folder, so deno.json and ../data resolve.
  if ! jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
    --ExecutePreprocessor.kernel_name=deno --output-dir "$out" "$nb" >"$out/run.log" 2>&1; then
    grep -v 'is unstable' "$out/run.log" >&2
    echo "notebooks: $nb failed" >&2
    exit 1
  fi
  echo "notebooks: $nb ran in $(($(date +%s) - start)) s"
done
