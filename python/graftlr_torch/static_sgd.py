"""StaticSGD: the stateless update `graftlr train --schedule` runs (src/run/train/optimizers.ts, fused.ts), as a
torch.optim.Optimizer. With eta(t) the stretched base schedule, s the scale, wd the weight decay:

    target multiplier:  w[G] <- w[G] (1 - eta wd) - eta s c_G(t / N) clip(g)[G]
    target stepNorm:    d = P * g (the artifact's fixed preconditioner, or d = g without one)
                        w[G] <- w[G] (1 - eta wd) - eta s m_G(t / N) d[G] / ||d[G]||   (zero step if ||d[G]|| = 0)
    P (factored):       v~[i, j] = rows[i] cols[j] / mean(rows),  P = 1 / sqrt(v~ + eps^2)   (vectors: v~ = values)
    clip(g) = g min(1, clip_norm / ||g||) over all parameters (the step-norm rule is invariant to it)

P is rebuilt from its factors at every step and freed, so the optimizer state holds nothing per parameter:
`state_dict()` carries the step count only. Under DistributedDataParallel the gradients are already averaged
when `step()` runs, so every norm above is of the averaged gradient and every rank takes the same step.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

import torch

from .container import GraftFileError
from .names import graftlr_shape, model_fingerprint, resolve
from .schedule import Factors, Schedule, base_lr, multiplier_at, read_schedule


class StaticSGD(torch.optim.Optimizer):
    """Stateless per-group SGD driven by a `.graft` schedule (see the module comment).

    named_params: `model.named_parameters()`; names are graftlr's, Hugging Face BertForMaskedLM's, or mapped by
    `name_map` (your name -> graftlr name). Every parameter of the artifact must appear exactly once.
    schedule: a path or a `read_schedule` result. total_steps: N, the length of this run.
    """

    def __init__(self, named_params: Iterable[Tuple[str, torch.nn.Parameter]], schedule: "Schedule | str", total_steps: int,
                 scale: float = 1.0, name_map: Optional[Mapping[str, str]] = None, weight_decay: float = 0.0,
                 clip_norm: Optional[float] = None) -> None:
        if not isinstance(total_steps, int) or total_steps < 1:
            raise ValueError(f"StaticSGD: total_steps = {total_steps!r} is invalid: expected an integer >= 1 (the planned length of the run)")
        for key, v in (("scale", scale), ("weight_decay", weight_decay)):
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"StaticSGD: {key} = {v!r} is invalid: expected a finite number >= 0")
        if clip_norm is not None and not (clip_norm > 0 and math.isfinite(clip_norm)):
            raise ValueError(f"StaticSGD: clip_norm = {clip_norm!r} is invalid: expected a finite number > 0")
        sched = read_schedule(schedule) if isinstance(schedule, str) else schedule
        named = list(named_params)
        names = resolve(named, name_map, "StaticSGD")
        _check_model(sched, named, names)
        groups: Dict[str, Dict[str, Any]] = {}
        for name, p in named:
            g, transposed = names[name]
            group = sched.params[g][1]
            entry = groups.setdefault(group, {"params": [], "group": group, "names": [], "transposed": []})
            entry["params"].append(p)
            entry["names"].append(g)
            entry["transposed"].append(transposed)
        super().__init__(list(groups.values()), {})
        self.schedule, self.total_steps, self.scale = sched, total_steps, float(scale)
        self.weight_decay, self.clip_norm = float(weight_decay), clip_norm
        self.step_count = 0  # the only state: t of the next step

    def state_dict(self) -> Dict[str, Any]:
        """torch's state dict (its per-parameter `state` is empty) plus the step count."""
        return {**super().state_dict(), "step": self.step_count}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self.step_count = int(state_dict["step"])
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "step"})

    def lr_of(self, group: str, step: int) -> float:
        """eta(t) s c_G(t / N): the group's learning rate (multiplier target) or step length per unit (stepNorm)."""
        c = multiplier_at(self.schedule.groups[group], step / self.total_steps)
        return base_lr(self.schedule.base, step, self.total_steps) * self.scale * c

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        """One update from the current `.grad`s (after backward); advances t."""
        loss = torch.enable_grad()(closure)() if closure is not None else None
        t = self.step_count
        eta = base_lr(self.schedule.base, t, self.total_steps)
        step_norm = self.schedule.target == "stepNorm"
        clip = 1.0 if step_norm else self._clip_factor()
        for group in self.param_groups:
            lr = self.lr_of(group["group"], t)
            pairs = [(p, n, tr) for p, n, tr in zip(group["params"], group["names"], group["transposed"]) if p.grad is not None]
            directions = [self._direction(p.grad, n, tr) if step_norm else p.grad for p, n, tr in pairs]
            if step_norm:
                norm = math.sqrt(sum(float(torch.linalg.vector_norm(d)) ** 2 for d in directions))
                factor = lr / norm if norm > 0 else 0.0  # ||d[G]|| = 0: zero step
            else:
                factor = lr * clip
            for (p, _, _), d in zip(pairs, directions):
                if self.weight_decay > 0:
                    p.mul_(1 - eta * self.weight_decay)
                p.add_(d, alpha=-factor)
        self.step_count += 1
        return loss

    def _clip_factor(self) -> float:
        """min(1, clip_norm / ||g||), ||g|| over every parameter in float64."""
        if self.clip_norm is None:
            return 1.0
        norm = math.sqrt(sum(float(torch.linalg.vector_norm(p.grad)) ** 2 for g in self.param_groups for p in g["params"] if p.grad is not None))
        return self.clip_norm / norm if norm > self.clip_norm else 1.0

    def _direction(self, grad: torch.Tensor, name: str, transposed: bool) -> torch.Tensor:
        """d = P * g, P rebuilt from the factors now (or g without a preconditioner). Scales `grad` in place,
        so the only memory it takes is P of one tensor at a time."""
        pre = self.schedule.preconditioner
        if pre is None:
            return grad
        return grad.mul_(preconditioner(pre[name], transposed, grad.shape).to(grad))


def preconditioner(f: Factors, transposed: bool, shape: torch.Size) -> torch.Tensor:
    """P = 1 / sqrt(v~ + eps^2) in your tensor's layout: v~ = rows cols^T / mean(rows), or the values."""
    if f.values is not None:
        return torch.rsqrt(f.values + f.eps ** 2).reshape(shape)
    mean = float(f.rows.mean())
    rows = f.rows / mean if mean > 0 else torch.zeros_like(f.rows)
    v = torch.outer(f.cols, rows) if transposed else torch.outer(rows, f.cols)  # (out, in) for a torch Linear
    return v.add_(f.eps ** 2).rsqrt_()


def _check_model(sched: Schedule, named: list, names: Dict[str, Tuple[str, bool]]) -> None:
    """Refuses (one line) a schedule made for another model: names, shapes and the fingerprint must match."""
    shapes = {names[n][0]: graftlr_shape(p.shape, names[n][1]) for n, p in named}
    missing = [g for g in sched.params if g not in shapes]
    extra = [n for n, _ in named if names[n][0] not in sched.params]
    if extra or missing:
        what = f'"{extra[0]}" (as "{names[extra[0]][0]}") is not in it' if extra else f'its parameter "{missing[0]}" is not in your model'
        raise GraftFileError(f"StaticSGD: the schedule was made for another model: {what} ({len(extra)} unknown, {len(missing)} missing); "
                             "use a schedule extracted for this model, or pass name_map")
    for g, shape in shapes.items():
        if list(shape) != sched.params[g][0]:
            raise GraftFileError(f"StaticSGD: the schedule was made for another model: {g} has shape {list(shape)} here but "
                                 f"{sched.params[g][0]} in the schedule; use a schedule extracted for this model")
    if model_fingerprint(shapes) != sched.fingerprint:
        raise GraftFileError("StaticSGD: the schedule's model fingerprint does not match this model: use a schedule extracted for this model")
