#!/usr/bin/env bash
# Regenerates the shipped schedule artifacts and comparison reports:
#   artifacts/tiny.graft                 the seed-0 factorized (eps 0.5) schedule of the tiny comparison at the
#                                        quickstart's shape (made by `quickstart`)
#   artifacts/mini.graft                 the seed-0 factorized schedule of the mini comparison at that shape (made by
#                                        `mini-quickstart`)
#   artifacts/compare-tiny-seeds/        the 3-seed tiny comparison (report.md, report.json, loss-curves.png,
#                                        before-eps-sweep-report.md, factorized-report.md, probe-length-report.md,
#                                        factorized-probe20-report.md, full-probe-report.md)
#   artifacts/compare-mini-seeds/        the 3-seed mini comparison (report.md, report.json, loss-curves.png)
#   artifacts/compare-tiny/              the earlier single-seed tiny exploration (multiplier vs step-norm targets)
#   artifacts/compare-quickstart/        the 3-seed tiny comparison at the quickstart's setting (64 x 16 tokens,
#                                        4000 steps, init std 0.05), where the models learn to use their context
#                                        (report.md, report.json, loss-curves.png, scale-sweep-report.md,
#                                        cap-report.md/.json, cap-loss-curves.png, factorized-report.md/.json,
#                                        factorized-loss-curves.png, factorized-cap-report.md/.json,
#                                        factorized-cap-loss-curves.png, curvcap8-s0-report.md, capped-scale-report.md)
#   artifacts/compare-mini-quickstart/   the 3-seed mini comparison at the quickstart's shape (64 x 16 tokens, 2000
#                                        steps, init std 0.05) (report.md, report.json, loss-curves.png,
#                                        seed0-eps-report.md, factorized-report.md, cap-report.md, cap-report.json,
#                                        cap-loss-curves.png, probe20-report.md/.json, factorized-cap-report.md/.json,
#                                        factorized-cap-loss-curves.png, capped-scale-report.md)
#   artifacts/compare-lean-probe/        the lean probe at the quickstart's shape, 3 seeds: tiny (report.md,
#                                        report.json, loss-curves.png; the memory benchmark's file is written by hand),
#                                        mini (mini-report.md/.json, mini-loss-curves.png, mini-proxy-report.md/.json)
#   artifacts/compare-portable/          schedules on other corpora: Moby-Dick and the King James Bible (Debian's
#                                        bible-kjv), the shipped SOTU schedule against one probed there (tiny and mini,
#                                        3 seeds; its runs start from the weights it was probed from), and the ablations
# Usage: scripts/make-artifacts.sh [seeds|mini|quickstart|mini-quickstart|compare|lean|portable|all]   (default all; seeds, mini,
# quickstart and mini-quickstart take about an hour, 2.5 hours, 1.8 hours and 3.4 hours on 2 cores; lean about
# 5 hours (tiny 2.5, mini 2.5), portable about 9 hours (mini on two corpora, 3 seeds, is most of it))
# Environment: COMPARE_OUT / SEEDS_OUT / MINI_OUT / QS_OUT / MINI_QS_OUT (defaults runs/compare-tiny, runs/c8-tiny,
# runs/c9-mini, runs/c10-qs, runs/c11-mini-qs; pass the
# folder of an earlier run with identical flags to reuse its finished runs), GRAFTLR_BACKEND (default wasm).
set -euo pipefail
cd "$(dirname "$0")/.."

G="node bin/graftlr.mjs"
export GRAFTLR_BACKEND="${GRAFTLR_BACKEND:-wasm}"
WHAT="${1:-all}"
WORK=runs/artifacts
COMPARE_OUT="${COMPARE_OUT:-runs/compare-tiny}"
SEEDS_OUT="${SEEDS_OUT:-runs/c8-tiny}"
MINI_OUT="${MINI_OUT:-runs/c9-mini}"
QS_OUT="${QS_OUT:-runs/c10-qs}"
MINI_QS_OUT="${MINI_QS_OUT:-runs/c11-mini-qs}"
LEAN_OUT="${LEAN_OUT:-runs/c22-tiny}"
LEAN_MINI_OUT="${LEAN_MINI_OUT:-runs/c22-mini}"
mkdir -p "$WORK" artifacts/compare-tiny artifacts/compare-tiny-seeds artifacts/compare-mini-seeds artifacts/compare-quickstart \
  artifacts/compare-mini-quickstart

# The 3-seed tiny comparison (issue: make stateless SGD match Adam): Adam, plain SGD, static step-norm schedules
# without and with the factored per-coordinate preconditioner at eps ratios 0.01, 0.1 and 1; sweeps on seed 0,
# the best setting of each method on seeds 1 and 2 (batch 16 x 64 tokens: context-blind models). Its seed-0
# factored (eps ratio 1) schedule was the shipped tiny.graft until the 64 x 16 comparisons. Every later command
# names its preconditioners, since the default is now factored at eps ratio 1, its cap (0: none) and its method
# (constant, the default then; factorized is the default now).
if [[ "$WHAT" == all || "$WHAT" == seeds ]]; then
  # The earlier ranking (eps ratio 0.01 only, with the hybrid reference), kept as before-eps-sweep-report.md.
  $G compare --preset tiny --methods constant --steps 2000 --cap-ratios 0 --batch-size 16 --seq-len 64 --seeds 0,1,2 --adam-lrs 1e-3,2e-3,4e-3 \
    --sgd-lrs 0.125,0.25,0.5 --static-scales 2,4 --preconditioners none,factored --preconditioner-eps 0.01 \
    --no-graft --eval-points 4 --reuse --out "$SEEDS_OUT"
  cp "$SEEDS_OUT/report.md" artifacts/compare-tiny-seeds/before-eps-sweep-report.md
  $G compare --preset tiny --methods constant --steps 2000 --cap-ratios 0 --batch-size 16 --seq-len 64 --seeds 0,1,2 --adam-lrs 1e-3,2e-3,4e-3 \
    --sgd-lrs 0.125,0.25,0.5 --static-scales 2,4,8 --preconditioners none,factored --preconditioner-eps 0.01,0.1,1 \
    --no-include-hybrid --no-graft --eval-points 4 --reuse --out "$SEEDS_OUT"
  cp "$SEEDS_OUT/report.md" "$SEEDS_OUT/report.json" "$SEEDS_OUT/loss-curves.png" \
    "$SEEDS_OUT/multipliers-tensor-p0.1-constant-skip0.2-norm-factored-e1.svg" \
    "$SEEDS_OUT/multipliers-tensor-p0.1-constant-skip0.2-norm.svg" artifacts/compare-tiny-seeds/
  # The time-varying compression over the same seeds (reuses the baselines; overwrites report.md, so it runs last).
  $G compare --preset tiny --steps 2000 --cap-ratios 0 --batch-size 16 --seq-len 64 --seeds 0,1,2 --adam-lrs 1e-3,2e-3,4e-3 \
    --sgd-lrs 0.125,0.25,0.5 --static-scales 2,4,6 --methods constant,factorized --preconditioners none \
    --no-include-hybrid --no-graft --eval-points 4 --reuse --out "$SEEDS_OUT"
  cp "$SEEDS_OUT/report.md" artifacts/compare-tiny-seeds/factorized-report.md
  $G compare --preset tiny --steps 2000 --cap-ratios 0 --batch-size 16 --seq-len 64 --seeds 0,1,2 --adam-lrs 1e-3,2e-3,4e-3 \
    --sgd-lrs 0.125,0.25,0.5 --static-scales 2,4,6 --probe-fractions 0.1,0.2 --methods constant --preconditioners none \
    --no-include-hybrid --no-graft --eval-points 4 --reuse --out "$SEEDS_OUT"
  cp "$SEEDS_OUT/report.md" artifacts/compare-tiny-seeds/probe-length-report.md
  $G compare --preset tiny --steps 2000 --cap-ratios 0 --batch-size 16 --seq-len 64 --seeds 0,1,2 --adam-lrs 1e-3,2e-3,4e-3 \
    --sgd-lrs 0.125,0.25,0.5 --static-scales 2,4,6 --probe-fractions 0.2 --methods factorized --preconditioners none \
    --no-include-hybrid --no-graft --eval-points 4 --reuse --out "$SEEDS_OUT"
  cp "$SEEDS_OUT/report.md" artifacts/compare-tiny-seeds/factorized-probe20-report.md
  # A ceiling check on seed 0: the probe covers the whole run (Adam's own step norms at every step), skipping
  # only its first 2% (40 steps, as the default skips of a 200-step probe).
  $G compare --preset tiny --steps 2000 --cap-ratios 0 --batch-size 16 --seq-len 64 --seeds 0 --adam-lrs 1e-3,2e-3,4e-3 \
    --sgd-lrs 0.125,0.25,0.5 --static-scales 1,2,4,8 --probe-fractions 1 --skip-fractions 0.02 \
    --methods constant,piecewise --preconditioners none --no-include-hybrid --no-graft --eval-points 4 --reuse --out "$SEEDS_OUT"
  cp "$SEEDS_OUT/report.md" artifacts/compare-tiny-seeds/full-probe-report.md
fi

# The 3-seed mini comparison (same protocol as tiny, ~4x the cost per step): Adam, plain SGD, the static step-norm
# schedule without and with the factored preconditioner (eps ratio 1, the default) and the hybrid reference.
# Its seed-0 factored schedule was the shipped mini.graft until the 64 x 16 comparison. The earlier mini reports
# (compare-mini-seeds/before-scatter-fix-*.md) were made before the ort engine's embedding-gradient fix and are
# not regenerated: today's code computes other (exact) gradients.
if [[ "$WHAT" == all || "$WHAT" == mini ]]; then
  $G compare --preset mini --methods constant --steps 2000 --cap-ratios 0 --batch-size 16 --seq-len 64 --seeds 0,1,2 --adam-lrs 5e-4,1e-3 \
    --sgd-lrs 0.125,0.25,0.5,1,2 --static-scales 4,8 --preconditioners none,factored --preconditioner-eps 1 \
    --no-graft --eval-points 4 --reuse --out "$MINI_OUT"
  cp "$MINI_OUT/report.md" "$MINI_OUT/report.json" "$MINI_OUT/loss-curves.png" artifacts/compare-mini-seeds/
fi

# The 3-seed tiny comparison at the quickstart's setting (`npm start`): batch 64 x 16 tokens, 4000 steps, init
# std 0.05. Over 16-token sequences the models leave the context-blind plateau that every 16 x 64 comparison above
# sits on (artifacts/README.md, "Short sequences"). Its seed-0 run at eps ratio 0.5, x8 is the quickstart's own run.
if [[ "$WHAT" == all || "$WHAT" == quickstart ]]; then
  # The scale sweep at eps ratio 1 (extract's default), kept as scale-sweep-report.md.
  $G compare --preset tiny --methods constant --steps 4000 --cap-ratios 0 --batch-size 64 --seq-len 16 --init-std 0.05 --seeds 0,1,2 --adam-lrs 1e-3,2e-3 \
    --sgd-lrs 0.25,0.5,1,2 --static-scales 2,4,8,16 --preconditioner-eps 1 --no-graft --no-include-hybrid --eval-points 4 \
    --reuse --out "$QS_OUT"
  cp "$QS_OUT/report.md" artifacts/compare-quickstart/scale-sweep-report.md
  # The eps ratio sweep at the bracketing scales: 0.5 ranks first (the quickstart's default).
  $G compare --preset tiny --methods constant --steps 4000 --cap-ratios 0 --batch-size 64 --seq-len 16 --init-std 0.05 --seeds 0,1,2 --adam-lrs 1e-3,2e-3 \
    --sgd-lrs 0.25,0.5,1,2 --static-scales 4,8 --preconditioner-eps 0.5,1,2 --no-graft --no-include-hybrid --eval-points 4 \
    --reuse --out "$QS_OUT"
  cp "$QS_OUT/report.md" "$QS_OUT/report.json" "$QS_OUT/loss-curves.png" artifacts/compare-quickstart/
  # The stability cap (per-coordinate steps above 2x the median group's are capped) against the default, at the
  # best Adam and SGD rates and scale of the sweeps above; its report has the at-[MASK] column.
  $G compare --preset tiny --methods constant --steps 4000 --batch-size 64 --seq-len 16 --init-std 0.05 --seeds 0,1,2 --adam-lrs 1e-3 \
    --sgd-lrs 0.5 --static-scales 8 --cap-ratios 0,2 --no-graft --no-include-hybrid --eval-points 4 --reuse --out "$QS_OUT"
  cp "$QS_OUT/report.md" artifacts/compare-quickstart/cap-report.md
  cp "$QS_OUT/report.json" artifacts/compare-quickstart/cap-report.json
  cp "$QS_OUT/loss-curves.png" artifacts/compare-quickstart/cap-loss-curves.png
  # The time-varying compression (extract's default since) against the same default; its seed-0 run is npm start's.
  $G compare --preset tiny --steps 4000 --batch-size 64 --seq-len 16 --init-std 0.05 --seeds 0,1,2 --adam-lrs 1e-3 \
    --sgd-lrs 0.5 --static-scales 8 --cap-ratios 0 --methods constant,factorized --no-graft --no-include-hybrid \
    --eval-points 4 --reuse --out "$QS_OUT"
  cp "$QS_OUT/report.md" artifacts/compare-quickstart/factorized-report.md
  cp "$QS_OUT/report.json" artifacts/compare-quickstart/factorized-report.json
  cp "$QS_OUT/loss-curves.png" artifacts/compare-quickstart/factorized-loss-curves.png
  # The shipped schedule: the seed-0 probe of these comparisons, made by extract so that it carries the probe's
  # corpus, tokenizer and vocabulary (train re-indexes its token-indexed entries for another tokenizer).
  $G extract --preset tiny --batch-size 64 --seq-len 16 --init-std 0.05 --total-steps 4000 --steps 400 --lr 1e-3 --magnitude adam \
    --seed 0 --out "$QS_OUT/shipped/tiny.graft"
  cp "$QS_OUT/shipped/tiny.graft" artifacts/tiny.graft
  # Caps on the time profile: by size (per-coordinate step) and by the stability limits the probes measure at their
  # end (this re-runs the probes, with the measurement, once).
  $G compare --preset tiny --steps 4000 --batch-size 64 --seq-len 16 --init-std 0.05 --seeds 0,1,2 --adam-lrs 1e-3 \
    --sgd-lrs 0.5 --static-scales 8 --methods factorized --cap-ratios 0,2 --cap-by size,curvature --no-graft \
    --no-include-hybrid --eval-points 4 --reuse --out "$QS_OUT"
  cp "$QS_OUT/report.md" artifacts/compare-quickstart/factorized-cap-report.md
  cp "$QS_OUT/report.json" artifacts/compare-quickstart/factorized-cap-report.json
  cp "$QS_OUT/loss-curves.png" artifacts/compare-quickstart/factorized-cap-loss-curves.png
  # A milder curvature cap, seed 0 only.
  $G compare --preset tiny --steps 4000 --batch-size 64 --seq-len 16 --init-std 0.05 --seeds 0 --adam-lrs 1e-3 \
    --sgd-lrs 0.5 --static-scales 8 --methods factorized --cap-ratios 0,8 --cap-by curvature --no-graft \
    --no-include-hybrid --eval-points 4 --reuse --out "$QS_OUT"
  cp "$QS_OUT/report.md" artifacts/compare-quickstart/curvcap8-s0-report.md
  # The scale re-swept for the capped default (seed 0 sweeps; the best scale runs on seeds 1 and 2).
  $G compare --preset tiny --steps 4000 --batch-size 64 --seq-len 16 --init-std 0.05 --seeds 0,1,2 --adam-lrs 1e-3 \
    --sgd-lrs 0.5 --static-scales 4,8,16 --methods factorized --cap-ratios 2 --no-graft --no-include-hybrid \
    --eval-points 4 --reuse --out "$QS_OUT"
  cp "$QS_OUT/report.md" artifacts/compare-quickstart/capped-scale-report.md
fi

# The 3-seed mini comparison at the quickstart's shape: batch 64 x 16 tokens, init std 0.05, 2000 steps (mini leaves
# the context-blind plateau within them). Seed 0 sweeps Adam, SGD and the eps ratio of the factored default at
# scale 8 (x8 was best for tiny at this shape and for mini at 16 x 64); then both eps ratios run on seeds 1 and 2.
if [[ "$WHAT" == all || "$WHAT" == mini-quickstart ]]; then
  MQ="$G compare --preset mini --steps 2000 --batch-size 64 --seq-len 16 --init-std 0.05 --adam-lrs 2.5e-4,5e-4,1e-3 \
    --sgd-lrs 0.25,0.5 --no-graft --no-include-hybrid --eval-points 4 --reuse --out $MINI_QS_OUT"
  $MQ --seeds 0 --static-scales 8 --methods constant --cap-ratios 0 --preconditioner-eps 0.5,1
  cp "$MINI_QS_OUT/report.md" artifacts/compare-mini-quickstart/seed0-eps-report.md
  $MQ --seeds 0,1,2 --static-scales 8 --methods constant --cap-ratios 0 --preconditioner-eps 0.5,1
  cp "$MINI_QS_OUT/report.md" "$MINI_QS_OUT/report.json" "$MINI_QS_OUT/loss-curves.png" artifacts/compare-mini-quickstart/
  # The other stateless methods against that default, each its own report over the same runs: the time-varying
  # compression (extract's default since), then the stability cap at 2x the median per-coordinate step.
  $MQ --seeds 0,1,2 --static-scales 8 --cap-ratios 0 --methods constant,factorized
  cp "$MINI_QS_OUT/report.md" artifacts/compare-mini-quickstart/factorized-report.md
  $MQ --seeds 0,1,2 --static-scales 8 --methods constant --cap-ratios 0,2
  cp "$MINI_QS_OUT/report.md" artifacts/compare-mini-quickstart/cap-report.md
  cp "$MINI_QS_OUT/report.json" artifacts/compare-mini-quickstart/cap-report.json
  cp "$MINI_QS_OUT/loss-curves.png" artifacts/compare-mini-quickstart/cap-loss-curves.png
  # The probe length: 20% of the run against the default 10%, both factorized.
  $MQ --seeds 0,1,2 --static-scales 8 --probe-fractions 0.1,0.2
  cp "$MINI_QS_OUT/report.md" artifacts/compare-mini-quickstart/probe20-report.md
  cp "$MINI_QS_OUT/report.json" artifacts/compare-mini-quickstart/probe20-report.json
  # The size cap on the time profile.
  $MQ --seeds 0,1,2 --static-scales 8 --methods factorized --cap-ratios 0,2
  cp "$MINI_QS_OUT/report.md" artifacts/compare-mini-quickstart/factorized-cap-report.md
  cp "$MINI_QS_OUT/report.json" artifacts/compare-mini-quickstart/factorized-cap-report.json
  cp "$MINI_QS_OUT/loss-curves.png" artifacts/compare-mini-quickstart/factorized-cap-loss-curves.png
  # The scale re-swept for the capped default.
  $MQ --seeds 0,1,2 --static-scales 4,8,16 --methods factorized --cap-ratios 2
  cp "$MINI_QS_OUT/report.md" artifacts/compare-mini-quickstart/capped-scale-report.md
  $G extract --preset mini --batch-size 64 --seq-len 16 --init-std 0.05 --total-steps 2000 --steps 200 --lr 5e-4 --magnitude adam \
    --seed 0 --out "$MINI_QS_OUT/shipped/mini.graft"
  cp "$MINI_QS_OUT/shipped/mini.graft" artifacts/mini.graft
fi

# The tiny comparison: Adam, plain SGD, online Adam#SGD and the static variants, 2000 steps each. (--cap-ratios now
# applies to step-norm variants too, so this also runs a -cap8-norm variant, which the shipped report predates.)
if [[ "$WHAT" == all || "$WHAT" == compare ]]; then
  $G compare --preset tiny --methods constant --steps 2000 --batch-size 16 --seq-len 64 --adam-lrs 1e-3 --sgd-lrs 0.125,0.25,0.5 \
    --static-scales 0.5,1,2,4,8 --cap-ratios 0,8 --targets multiplier,stepNorm --probe-fractions 0.1 --eval-points 4 \
    --preconditioners none --reuse --out "$COMPARE_OUT"
  cp "$COMPARE_OUT/report.md" "$COMPARE_OUT/report.json" "$COMPARE_OUT/loss-curves.png" artifacts/compare-tiny/
  cp "$COMPARE_OUT"/multipliers-*-norm.svg artifacts/compare-tiny/   # the default (step-norm) schedule
fi

# The lean probe: full Adam, Adam with a factored second moment, and that with the first moment in bfloat16.
if [[ "$WHAT" == all || "$WHAT" == lean ]]; then
  mkdir -p artifacts/compare-lean-probe
  $G compare --preset tiny --steps 4000 --batch-size 64 --seq-len 16 --init-std 0.05 --adam-lrs 1e-3,2e-3,4e-3 \
    --sgd-lrs 0.25,0.5,1.0 --static-scales 2,4 --no-graft --no-include-hybrid --eval-points 4 --eval-sequences 8192 \
    --seeds 0,1,2 --magnitudes adam,factored-adam,factored-adam-bf16 --reuse --out "$LEAN_OUT"
  cp "$LEAN_OUT/report.md" "$LEAN_OUT/report.json" "$LEAN_OUT/loss-curves.png" artifacts/compare-lean-probe/
  # mini (2000 steps): full-Adam and bf16 probes, then the bf16 probe of a half-depth proxy (2 of 4 layers)
  L="$G compare --preset mini --steps 2000 --batch-size 64 --seq-len 16 --init-std 0.05 --adam-lrs 2.5e-4,5e-4,1e-3 \
    --sgd-lrs 0.25,0.5 --static-scales 8 --no-graft --no-include-hybrid --eval-points 1 --eval-sequences 8192 \
    --seeds 0,1,2 --reuse --out $LEAN_MINI_OUT"
  $L --magnitudes adam,factored-adam-bf16
  for f in report.md report.json loss-curves.png; do cp "$LEAN_MINI_OUT/$f" "artifacts/compare-lean-probe/mini-$f"; done
  $L --magnitudes factored-adam-bf16 --proxy-layers 0,2
  for f in report.md report.json; do cp "$LEAN_MINI_OUT/$f" "artifacts/compare-lean-probe/mini-proxy-$f"; done
fi

# A shipped schedule on other corpora: Moby-Dick (bundled) and the King James Bible (Debian's bible-kjv), 3 seeds, and
# the seed-0 ablation of the SOTU schedule against each corpus's own probe at lr 1e-3.
if [[ "$WHAT" == all || "$WHAT" == portable ]]; then
  mkdir -p artifacts/compare-portable "$WORK/portable"
  KJV="$WORK/portable/kjv.txt"
  bible -f gen1:1-rev22:21 </dev/null | sed 's/^[^ ]* //' > "$KJV"   # apt-get install bible-kjv
  for name in moby kjv; do
    corpus=$([[ $name == moby ]] && echo moby-dick || echo "$KJV")
    out="runs/c24-$name"
    # the corpus's own probe (the ablation's donor) and the SOTU schedule re-indexed by each rule ahead of time;
    # artifacts/tiny.graft itself is re-indexed by train's frequency rule, sotu-remap-string.graft by the earlier one
    $G extract --preset tiny --corpus "$corpus" --batch-size 64 --seq-len 16 --init-std 0.05 --total-steps 4000 --steps 400 \
      --lr 1e-3 --magnitude adam --seed 0 --out "$WORK/portable/$name-lr1e-3.graft"
    A="$WORK/portable/abl-$name"
    node bin/run-script.mjs scripts/swap-schedule-pieces.ts artifacts/tiny.graft "$WORK/portable/$name-lr1e-3.graft" "$A" sotu
    FILES="artifacts/tiny.graft,$A/sotu-remap-string.graft"
    P="$G compare --preset tiny --corpus $corpus --batch-size 64 --seq-len 16 --init-std 0.05 --steps 4000 \
      --adam-lrs 1e-3,2e-3,4e-3 --eval-sequences 8192 --eval-points 1 --no-graft --no-include-hybrid --reuse --out $out"
    # the files' runs from the seed-0 weights they were probed from (train's default) and from each seed's own
    # (file-*-own-init, the default before); the shipped <name>-report.md has the first, <name>-own-weights-report.md
    # the second (made before, with the file re-indexed ahead of time: the same runs, see artifacts/README.md)
    $P --sgd-lrs 0.25,0.5,1 --static-scales 4,8 --schedule-files "$FILES" --file-starts probe,seed --seeds 0,1,2
    if [[ $name == moby ]]; then
      # SGD at 0.5 (seed 0's best) blows up on seed 1: the table uses 0.25 on every seed (these two reports were made
      # with each seed's own weights)
      cp "$out/report.md" artifacts/compare-portable/moby-sgd0.5-report.md
      $P --sgd-lrs 0.25 --static-scales 8 --schedule-files "$FILES" --file-starts seed --seeds 0,1,2
      cp "$out/report.md" artifacts/compare-portable/moby-x8-report.md
      $P --sgd-lrs 0.25 --static-scales 4,8 --schedule-files "$FILES" --file-starts probe,seed --seeds 0,1,2
    fi
    cp "$out/report.md" "artifacts/compare-portable/$name-report.md"
    cp "$out/report.json" "artifacts/compare-portable/$name-report.json"
    cp "$out/loss-curves.png" "artifacts/compare-portable/$name-loss-curves.png"
    $P --sgd-lrs 0.25,0.5,1 --static-scales 8 --seeds 0 --schedule-files "$FILES",$A/sotu-as-is.graft,$A/sotu-time.graft,$A/sotu-lengths.graft,$A/sotu-tokens.graft,$A/sotu-factors.graft,$A/sotu-remap-rank.graft,$A/sotu-remap-string-median.graft
    cp "$out/report.md" "artifacts/compare-portable/$name-ablation-report.md"
    cp "$out/report.json" "artifacts/compare-portable/$name-ablation-report.json"
  done
  # mini on Moby-Dick and KJV: the shipped mini.graft against a schedule probed there, 3 seeds; its runs start from the
  # seed-0 weights it was probed from (train's default); on Moby-Dick also from each seed's own (file-mini-own-init,
  # the default before)
  for name in moby kjv; do
    corpus=$([[ $name == moby ]] && echo moby-dick || echo "$KJV")
    starts=$([[ $name == moby ]] && echo probe,seed || echo probe)
    $G compare --preset mini --corpus "$corpus" --steps 2000 --batch-size 64 --seq-len 16 --init-std 0.05 --static-scales 8 \
      --no-graft --no-include-hybrid --eval-points 1 --eval-sequences 8192 --reuse --out "runs/c24-mini-$name" \
      --adam-lrs 5e-4,1e-3 --sgd-lrs 0.25,0.5 --schedule-files artifacts/mini.graft --file-starts "$starts" --seeds 0,1,2
    for f in report.md report.json loss-curves.png; do cp "runs/c24-mini-$name/$f" "artifacts/compare-portable/mini-$name-$f"; done
  done
  # (the shipped mini-moby-report.md has the default start only: its own-weights runs were made before --file-starts,
  # by the earlier default: seeds 0 and 1 in mini-moby-own-weights-report.md, seed 2 in artifacts/README.md's table)
  M="$G compare --preset mini --corpus moby-dick --steps 2000 --batch-size 64 --seq-len 16 --init-std 0.05 --static-scales 8 \
    --no-graft --no-include-hybrid --eval-points 1 --eval-sequences 8192 --reuse --out runs/c24-mini-moby"
  # a SOTU schedule probed from seed 1's weights, on Moby-Dick seed 1 (which starts from them either way)
  $G extract --preset mini --batch-size 64 --seq-len 16 --init-std 0.05 --total-steps 2000 --steps 200 --lr 5e-4 --magnitude adam \
    --seed 1 --out "$WORK/portable/sotu-mini-s1.graft"
  $M --adam-lrs 5e-4 --sgd-lrs 0.25 --seeds 1 --schedule-files artifacts/mini.graft,"$WORK/portable/sotu-mini-s1.graft"
  for f in report.md report.json; do cp "runs/c24-mini-moby/$f" "artifacts/compare-portable/mini-moby-init-s1-$f"; done
  # seed 1, from its own weights (as before train started from the schedule's): mini.graft with one piece at a time from
  # that seed's own probe (the compare's schedules/ folder), on the file as is (token entries by id) and re-indexed ahead
  A="$WORK/portable/abl-mini-moby"
  DONOR=runs/c24-mini-moby/schedules/tensor-p0.1-factorized-skip0.2-cap2-norm-factored-e0.5-s1.graft
  node bin/run-script.mjs scripts/swap-schedule-pieces.ts artifacts/mini.graft "$DONOR" "$A" mini
  node bin/run-script.mjs scripts/swap-schedule-pieces.ts "$A/mini-remap-frequency.graft" "$DONOR" "$A" remapped
  $M --adam-lrs 5e-4 --sgd-lrs 0.25 --seeds 1 --file-starts seed --schedule-files artifacts/mini.graft,$A/mini-tokens.graft,$A/mini-time.graft,$A/mini-lengths.graft,$A/mini-factors.graft,$A/remapped-time.graft,$A/remapped-factors.graft
  for f in report.md report.json; do cp "runs/c24-mini-moby/$f" "artifacts/compare-portable/mini-moby-ablation-s1-$f"; done
  # another shape: the shipped tiny.graft (made at 64 x 16) at 16 x 64, seed 0, beside a schedule probed there
  $G compare --preset tiny --batch-size 16 --seq-len 64 --init-std 0.05 --steps 4000 --adam-lrs 1e-3,2e-3,4e-3 \
    --sgd-lrs 0.25,0.5 --static-scales 8 --schedule-files artifacts/tiny.graft --eval-sequences 2048 --eval-points 1 \
    --no-graft --no-include-hybrid --seeds 0 --reuse --out runs/c24-shape-16x64-4000
  for f in report.md report.json; do cp "runs/c24-shape-16x64-4000/$f" "artifacts/compare-portable/shape-16x64-s0-$f"; done
fi
