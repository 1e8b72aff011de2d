"""Reading a `.graft` schedule artifact (`graftlr.schedule` version 1 or 2, artifacts/FORMAT.md section 2)
and evaluating it as `graftlr train` does:

    c_G(f)    constant c, or knots [[f_k, c_k]] interpolated log-linearly, held outside them:
              ln c = (1 - w) ln c_k + w ln c_{k+1},  w = (f - f_k) / (f_{k+1} - f_k)
    eta(t)    the probe's base schedule stretched to this run's N steps (src/schedule/rule.ts, stretchSchedule):
              W = min(N, round(warmupSteps * N / totalSteps)),  eta(t) = peak (t + 1) / W for t < W, then
              with s = t - W, D = max(N - W, 1): linear  peak + (end - peak) min(s, D) / D
                                                 cosine  end + (peak - end) (1 + cos(pi min(s, D) / D)) / 2
                                                 inverse-sqrt  peak sqrt(max(W, 1) / (max(W, 1) + s)),  constant  peak
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import torch

from .container import GraftFileError, decode_container, shape_list, unpack_array

DECAYS = ("linear", "cosine", "constant", "inverse-sqrt")


@dataclass
class Factors:
    """One tensor's preconditioner factors in graftlr's layout: rows (r) and cols (c) of a matrix, or values."""
    eps: float
    rows: Optional[torch.Tensor] = None
    cols: Optional[torch.Tensor] = None
    values: Optional[torch.Tensor] = None


@dataclass
class Schedule:
    """A decoded, validated artifact: what StaticSGD needs, plus the raw map (`raw`) for anything else."""
    target: str                                    # "multiplier" or "stepNorm"
    params: Dict[str, Tuple[List[int], str]]       # graftlr name -> (shape, group)
    groups: Dict[str, Dict[str, Any]]              # group -> {"constant": c} or {"knots": [[f, c], ...]}
    base: Dict[str, Any]                           # probe.baseSchedule (kind "base")
    fingerprint: str
    preconditioner: Optional[Dict[str, Factors]]   # graftlr name -> factors, or None
    raw: Dict[str, Any]


def _fail(where: str, problem: str) -> None:
    raise GraftFileError(f"schedule artifact field {where} {problem}: the file is corrupted or was not written by graftlr; re-run extract")


def _number(x: Any, where: str, low: float = -math.inf) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < low:
        _fail(where, f"must be a finite number >= {low}, got {x!r}")
    return float(x)


def _map(x: Any, where: str) -> Dict[str, Any]:
    if not isinstance(x, dict):
        _fail(where, f"must be a map, got {type(x).__name__}")
    return x


def _group_schedule(x: Any, where: str) -> Dict[str, Any]:
    s = _map(x, where)
    if ("constant" in s) == ("knots" in s):
        _fail(where, "must have exactly one of constant or knots")
    if "constant" in s:
        return {"constant": _number(s["constant"], f"{where}.constant", 0.0)}
    knots = s["knots"]
    if not isinstance(knots, list) or not knots or not all(isinstance(k, list) and len(k) == 2 for k in knots):
        _fail(f"{where}.knots", "must be a non-empty list of [fraction, value] pairs")
    out = [[_number(f, f"{where}.knots", 0.0), _number(c, f"{where}.knots", 0.0)] for f, c in knots]
    if any(out[i + 1][0] <= out[i][0] for i in range(len(out) - 1)):
        _fail(f"{where}.knots", "must have strictly increasing fractions")
    if any(c <= 0 for _, c in out):
        _fail(f"{where}.knots", "must have values > 0 (they are interpolated in ln)")
    return {"knots": out}


def _factors(x: Any, where: str, shape: List[int]) -> Factors:
    o = _map(x, where)
    eps = _number(o.get("eps"), f"{where}.eps", 0.0)
    if eps <= 0:
        _fail(f"{where}.eps", "must be > 0")
    arr = lambda key, n: _checked(unpack_array(o.get(key), f"schedule artifact field {where}.{key}"), n, f"{where}.{key}")
    if len(shape) == 2:
        return Factors(eps, rows=arr("rows", shape[0]), cols=arr("cols", shape[1]))
    return Factors(eps, values=arr("values", math.prod(shape)))


def _checked(t: torch.Tensor, n: int, where: str) -> torch.Tensor:
    if t.dtype != torch.float32 or t.numel() != n:
        _fail(where, f"must hold {n} f32 values, got {t.numel()} {t.dtype}")
    if not bool(torch.isfinite(t).all()) or bool((t < 0).any()):
        _fail(where, "must hold finite second moments >= 0")
    return t.reshape(-1)


def decode_schedule(data: bytes) -> Schedule:
    """Decodes and validates artifact bytes (magic, version, checksum, then the fields training reads)."""
    body = decode_container(data, "graftlr.schedule", 2, "schedule artifact", "re-run extract to write a new one")
    model = _map(body.get("model"), "model")
    params: Dict[str, Tuple[List[int], str]] = {}
    if not isinstance(model.get("params"), list):
        _fail("model.params", "must be a list")
    for i, p in enumerate(model["params"]):
        p = _map(p, f"model.params[{i}]")
        if not isinstance(p.get("name"), str) or not isinstance(p.get("group"), str):
            _fail(f"model.params[{i}]", "needs string name and group")
        params[p["name"]] = (shape_list(p.get("shape"), f"schedule artifact field model.params[{i}].shape"), p["group"])
    if not isinstance(model.get("fingerprint"), str):
        _fail("model.fingerprint", "must be a string")
    raw_groups = _map(body.get("groups"), "groups")
    groups = {g: _group_schedule(s, f"groups.{g}") for g, s in raw_groups.items()}
    for name, (_, g) in params.items():
        if g not in groups:
            _fail("groups", f'has no schedule for group "{g}" of parameter {name}')
    options = _map(_map(body.get("compression"), "compression").get("options", {}), "compression.options")
    target = options.get("target", "multiplier")
    if target not in ("multiplier", "stepNorm"):
        _fail("compression.options.target", f'must be "multiplier" or "stepNorm", got {target!r}')
    base = _map(_map(body.get("probe"), "probe").get("baseSchedule"), "probe.baseSchedule")
    if base.get("kind") != "base" or base.get("decay") not in DECAYS:
        _fail("probe.baseSchedule", f"must be a base schedule with decay in {DECAYS}, got {base!r}")
    for key in ("peakLr", "warmupSteps", "totalSteps", "endLr"):
        _number(base.get(key), f"probe.baseSchedule.{key}", 0.0)
    pre = None
    if "preconditioner" in body:
        if target != "stepNorm":
            _fail("preconditioner", 'needs compression.options.target "stepNorm"')
        entries = _map(_map(body["preconditioner"], "preconditioner").get("params"), "preconditioner.params")
        pre = {n: _factors(entries.get(n), f"preconditioner.params.{n}", shape) for n, (shape, _) in params.items()}
    return Schedule(target, params, groups, base, model["fingerprint"], pre, body)


def read_schedule(path: str) -> Schedule:
    """Reads and validates a `.graft` file; a bad file raises one GraftFileError line."""
    with open(path, "rb") as f:
        return decode_schedule(f.read())


def multiplier_at(s: Dict[str, Any], fraction: float) -> float:
    """c_G(fraction) of one group's schedule (see the module comment)."""
    if "constant" in s:
        return s["constant"]
    k = s["knots"]
    if fraction <= k[0][0]:
        return k[0][1]
    if fraction >= k[-1][0]:
        return k[-1][1]
    i = 0
    while k[i + 1][0] < fraction:
        i += 1
    (f0, c0), (f1, c1) = k[i], k[i + 1]
    w = (fraction - f0) / (f1 - f0)
    if w == 1:
        return c1
    return math.exp((1 - w) * math.log(c0) + w * math.log(c1))


def base_lr(base: Dict[str, Any], step: int, total_steps: int) -> float:
    """eta(step) of the base schedule stretched to `total_steps`, exactly as `graftlr train` lays it out."""
    # W S / T in this order, as graftlr (W / T * S rounds differently: 23 / 40 * 100 = 57.49999..., 23 * 100 / 40 = 57.5)
    warm = min(total_steps, math.floor(base["warmupSteps"] * total_steps / base["totalSteps"] + 0.5))  # JavaScript's Math.round
    peak = base["peakLr"]
    end = min(base["endLr"], peak)
    if step < warm:
        return peak * min(step + 1, warm) / warm
    s, d = step - warm, max(total_steps - warm, 1)
    decay = base["decay"]
    if decay == "linear":
        return peak + (end - peak) * min(max(s, 0), d) / d
    if decay == "cosine":
        return end + (peak - end) * (1 + math.cos(math.pi * min(max(s, 0), d) / d)) / 2
    if decay == "inverse-sqrt":
        w = max(warm, 1)
        return peak * math.sqrt(w / (w + max(s, 0)))
    return peak
