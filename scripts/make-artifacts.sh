#!/usr/bin/env bash
# Regenerates the shipped schedule artifacts and the tiny comparison report:
#   artifacts/tiny.graft, artifacts/mini.graft   (graftlr extract; trace and probe metrics stay in runs/artifacts/)
#   artifacts/compare-tiny/                      (report.md, report.json, loss-curves.png, multipliers-*.svg)
# Usage: scripts/make-artifacts.sh [tiny|mini|compare|all]   (default all; about 25 minutes on 2 cores)
# Environment: COMPARE_OUT (default runs/compare-tiny; pass the folder of an earlier run with identical
# flags to reuse its finished runs), GRAFTLR_BACKEND (default wasm).
set -euo pipefail
cd "$(dirname "$0")/.."

G="node bin/graftlr.mjs"
export GRAFTLR_BACKEND="${GRAFTLR_BACKEND:-wasm}"
WHAT="${1:-all}"
WORK=runs/artifacts
COMPARE_OUT="${COMPARE_OUT:-runs/compare-tiny}"
mkdir -p "$WORK" artifacts/compare-tiny

# The compression every shipped artifact uses (the best stateless variant of the tiny comparison).
COMPRESS=(--method constant --skip-fraction 0.2 --target stepNorm)

# tiny: the same data and schedule shape as the comparison below (batch 16 x 64 tokens, 2000 planned steps,
# Adam lr 1e-3, warmup 5% then linear decay), probed for the first 10% (200 steps).
if [[ "$WHAT" == all || "$WHAT" == tiny ]]; then
  $G extract --preset tiny --batch-size 16 --seq-len 64 --total-steps 2000 --steps 200 --lr 1e-3 \
    "${COMPRESS[@]}" --out "$WORK/tiny.graft"
  cp "$WORK/tiny.graft" artifacts/tiny.graft
fi

# mini: ~4x the cost per step of tiny; a 60-step probe of a 1000-step plan at the default batch (32 x 128).
if [[ "$WHAT" == all || "$WHAT" == mini ]]; then
  $G extract --preset mini --total-steps 1000 --steps 60 --lr 1e-3 "${COMPRESS[@]}" --out "$WORK/mini.graft"
  cp "$WORK/mini.graft" artifacts/mini.graft
fi

# The tiny comparison: Adam, plain SGD, online Adam#SGD and the static variants, 2000 steps each.
if [[ "$WHAT" == all || "$WHAT" == compare ]]; then
  $G compare --preset tiny --steps 2000 --batch-size 16 --seq-len 64 --adam-lrs 1e-3 --sgd-lrs 0.125,0.25,0.5 \
    --static-scales 0.5,1,2,4,8 --cap-ratios 0,8 --targets multiplier,stepNorm --probe-fractions 0.1 --eval-points 4 \
    --reuse --out "$COMPARE_OUT"
  cp "$COMPARE_OUT/report.md" "$COMPARE_OUT/report.json" "$COMPARE_OUT/loss-curves.png" artifacts/compare-tiny/
  cp "$COMPARE_OUT"/multipliers-*-norm.svg artifacts/compare-tiny/   # the default (step-norm) schedule
fi
