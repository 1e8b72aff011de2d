"""Runs graftlr (node, from the repository root) for the tests: fixtures of a run, extract, compress."""
from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
TMP = tempfile.mkdtemp(prefix="graftlr-torch-tests-")
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
# Tiny settings: the tests run in seconds. Vocabulary 8192 for tiny.graft, which was made for it.
TINY = ["--preset", "tiny", "--batch-size", "4", "--seq-len", "16", "--seed", "0"]


def node(*args: str) -> str:
    """Runs a node command in the repository root; a failure raises with graftlr's own message."""
    r = subprocess.run(["node", *args], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"node {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return r.stdout


@functools.lru_cache(maxsize=None)
def run_fixture(name: str, *args: str) -> str:
    """scripts/torch-bridge-fixture.ts into TMP/name (once per session): init/final weights, batches, losses."""
    out = os.path.join(TMP, name)
    node("bin/run-script.mjs", "scripts/torch-bridge-fixture.ts", "--out", out, *TINY, *args)
    return out


def load(path: str) -> Dict[str, Any]:
    with open(path) as f:
        return json.load(f)


def graftlr(*args: str) -> str:
    """The graftlr CLI."""
    return node("bin/graftlr.mjs", *args)


@functools.lru_cache(maxsize=None)
def multiplier_schedule() -> str:
    """A multiplier-target schedule for vocabulary 300: `graftlr extract --target multiplier` on tiny settings."""
    out = os.path.join(TMP, "multiplier.graft")
    graftlr("extract", *TINY, "--vocab-size", "300", "--total-steps", "200", "--steps", "20", "--target", "multiplier",
            "--method", "piecewise", "--knots", "3", "--stability-batches", "0", "--eval-sequences", "8", "--out", out)
    return out


def rel(a: List[float], b: List[float]) -> float:
    """max_i |a_i - b_i| / |b_i|."""
    return max(abs(x - y) / abs(y) for x, y in zip(a, b))
