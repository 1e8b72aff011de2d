"""GraftProbe: graftlr's phase one (src/run/probe/graft-probe.ts) in PyTorch, Adam#SGD grafting that records a
`graftlr.trace` version 3 file (artifacts/FORMAT.md section 3) for `graftlr compress`. At step t, from g:

    eta(t) = base schedule (warmup, then decay) laid out for total_steps
    Adam:  m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,  u_M = eta (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)
    SGD:   u_D = eta g
    per group G (norms over its tensors):  nM = ||u_M[G]||, nD = ||u_D[G]||, ||g[G]||
           w[G] <- w[G] - (nM / nD) u_D[G]     if nD > 0 and both norms are finite, else no step (invalid)
    trace: uAdamNorm = nM, uSgdNorm = nD, gradNorm = ||g[G]||, ratio = nM / nD, c = nM / (eta ||g[G]||)

At the end the trace gets Adam's factored bias-corrected second moment v_hat = v / (1 - b2^k): for a matrix
(graftlr layout [in, out]) rows[i] = mean_j v_hat[i, j], cols[j] = mean_i v_hat[i, j]; otherwise the values.
Compression stays in graftlr: `graftlr compress <trace>` makes the `.graft`.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import torch

from .container import TOOL, encode_container, pack_array
from .names import graftlr_shape, model_fingerprint, resolve
from .schedule import DECAYS, base_lr


class GraftProbe:
    """Adam#SGD on `named_params` (names as for StaticSGD); call `step(loss)` after each backward, then `save`.

    group_of maps a graftlr parameter name to its group (default: one group per tensor, graftlr's "tensor"
    grouping). `config` (graftlr's model config) and the provenance keywords are stored in the trace.
    """

    def __init__(self, named_params: Iterable[Tuple[str, torch.nn.Parameter]], total_steps: int, peak_lr: float = 1e-3,
                 warmup: float = 0.05, decay: str = "linear", end_lr: float = 0.0, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, group_of: Optional[Callable[[str], str]] = None, grouping: str = "tensor",
                 name_map: Optional[Mapping[str, str]] = None, config: Optional[Dict[str, Any]] = None,
                 architecture: str = "bert-mlm", batch_size: int = 0, seq_len: int = 0, seed: int = 0,
                 data_fingerprint: str = "", engine: str = "torch") -> None:
        if not isinstance(total_steps, int) or total_steps < 1:
            raise ValueError(f"GraftProbe: total_steps = {total_steps!r} is invalid: expected an integer >= 1")
        if decay not in DECAYS:
            raise ValueError(f"GraftProbe: decay = {decay!r} is invalid: expected one of {', '.join(DECAYS)}")
        if not (0 <= warmup < 1):
            raise ValueError(f"GraftProbe: warmup = {warmup!r} is invalid: expected a fraction in [0, 1)")
        named = list(named_params)
        names = resolve(named, name_map, "GraftProbe")
        self.params = sorted(((names[n][0], names[n][1], p) for n, p in named), key=lambda x: x[0])  # (graftlr name, transposed, p)
        group_of = group_of or (lambda n: n)
        self.group_of = {g: group_of(g) for g, _, _ in self.params}
        self.base = {"kind": "base", "peakLr": peak_lr, "warmupSteps": math.floor(warmup * total_steps + 0.5),
                     "totalSteps": total_steps, "decay": decay, "endLr": end_lr}
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.moments = {g: (torch.zeros_like(p), torch.zeros_like(p)) for g, _, p in self.params}  # Adam's m, v
        self.count = 0
        self.model = _describe(architecture, config or {}, [(g, graftlr_shape(p.shape, tr)) for g, tr, p in self.params], self.group_of)
        self.provenance = {"grouping": grouping, "batchSize": batch_size, "seqLen": seq_len, "seed": seed,
                           "dataFingerprint": data_fingerprint, "backend": "torch", "engine": engine}
        self.records: List[Dict[str, Any]] = []  # per step: {step, loss, eta, norms: {group: (nM, nD, ||g||)}}

    @torch.no_grad()
    def step(self, loss: float) -> Dict[str, Tuple[float, float, float]]:
        """One grafted step from the current `.grad`s; records and returns the per-group (nM, nD, ||g||)."""
        t, self.count = self.count, self.count + 1
        eta = base_lr(self.base, t, self.base["totalSteps"])
        c1, c2 = 1 - self.beta1 ** self.count, 1 - self.beta2 ** self.count
        squares: Dict[str, List[float]] = {}
        updates = {}
        for g, _, p in self.params:
            grad = p.grad if p.grad is not None else torch.zeros_like(p)
            m, v = self.moments[g]
            m.mul_(self.beta1).add_(grad, alpha=1 - self.beta1)
            v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
            u_m = (m / c1).div_((v / c2).sqrt_().add_(self.eps)).mul_(eta)
            u_d = grad * eta
            s = squares.setdefault(self.group_of[g], [0.0, 0.0, 0.0])
            for i, x in enumerate((u_m, u_d, grad)):
                s[i] += float(torch.sum(x.double() ** 2))  # float64 sums, as graftlr's groupNorms
            updates[g] = u_d
        norms = {group: tuple(math.sqrt(x) for x in s) for group, s in squares.items()}
        for g, _, p in self.params:
            n_m, n_d, _ = norms[self.group_of[g]]
            if n_d > 0 and math.isfinite(n_d) and math.isfinite(n_m):
                p.sub_(updates[g], alpha=n_m / n_d)
        self.records.append({"step": t, "loss": float(loss), "eta": eta, "norms": norms})
        return norms

    def trace(self) -> Dict[str, Any]:
        """The trace map (without checksum) of the steps so far."""
        if not self.records:
            raise ValueError("GraftProbe: no step recorded yet: call step(loss) after each backward first")
        groups = [g["name"] for g in self.model["groups"]]
        n, G = len(self.records), len(groups)
        col = lambda i: torch.tensor([[r["norms"][g][i] for g in groups] for r in self.records], dtype=torch.float64)
        u_m, u_d, grad = col(0), col(1), col(2)
        eta = torch.tensor([r["eta"] for r in self.records], dtype=torch.float64)
        ok = lambda x: torch.isfinite(x) & (x > 0)
        valid = ok(u_m) & ok(u_d) & ok(grad) & ok(eta)[:, None]
        nan = torch.full_like(u_m, math.nan)
        ratio = torch.where(valid, u_m / u_d, nan)
        c = torch.where(valid, u_m / (eta[:, None] * grad), nan)
        probe = {
            **self.provenance,
            "magnitude": {"name": "adam", "hyperparameters": {"lr": self.base["peakLr"], "lrSchedule": "baseSchedule",
                                                              "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps, "weightDecay": 0}},
            "direction": {"name": "sgd", "hyperparameters": {"lr": self.base["peakLr"], "lrSchedule": "baseSchedule", "momentum": 0}},
            "baseSchedule": dict(self.base), "steps": n, "totalSteps": self.base["totalSteps"],
        }
        return {
            "format": "graftlr.trace", "version": 3, "tool": dict(TOOL), "model": self.model, "probe": probe,
            "steps": pack_array(torch.tensor([r["step"] for r in self.records]), "i32"),
            "loss": pack_array(torch.tensor([r["loss"] for r in self.records]), "f64"), "eta": pack_array(eta, "f64"),
            "uAdamNorm": pack_array(u_m, "f64"), "uSgdNorm": pack_array(u_d, "f64"), "gradNorm": pack_array(grad, "f64"),
            "ratio": pack_array(ratio, "f64"), "c": pack_array(c, "f64"), "valid": pack_array(valid, "u8"),
            "secondMoments": self._second_moments(),
        }

    def save(self, path: str) -> None:
        """Writes the trace file (via a temporary file and a rename: never half a file under `path`)."""
        data = encode_container(self.trace())
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def _second_moments(self) -> Dict[str, Any]:
        """Adam's v_hat per parameter, factored in graftlr's layout (see the module comment)."""
        c2 = 1 - self.beta2 ** self.count
        params = {}
        for g, transposed, _ in self.params:
            v_hat = self.moments[g][1] / c2
            if v_hat.dim() == 2:
                v = v_hat.t() if transposed else v_hat  # graftlr layout (r, c)
                params[g] = {"rows": pack_array(v.mean(1), "f32"), "cols": pack_array(v.mean(0), "f32")}
            else:
                params[g] = {"values": pack_array(v_hat.reshape(-1), "f32")}
        return {"step": self.count, "beta2": self.beta2, "params": params}


def _describe(architecture: str, config: Dict[str, Any], shapes: List[Tuple[str, List[int]]], group_of: Dict[str, str]) -> Dict[str, Any]:
    """graftlr's ModelInfo: params in sorted-name order, groups in order of their first parameter."""
    params, groups = [], {}
    for name, shape in sorted(shapes):
        size = math.prod(shape)
        params.append({"name": name, "shape": shape, "size": size, "group": group_of[name]})
        g = groups.get(group_of[name])
        if g is None:
            groups[group_of[name]] = {"name": group_of[name], "shape": list(shape), "size": size, "params": [name]}
        else:
            g["size"] += size
            g["shape"] = [g["size"]]
            g["params"].append(name)
    return {"architecture": architecture, "config": config, "params": params, "groups": list(groups.values()),
            "fingerprint": model_fingerprint(dict(shapes))}
