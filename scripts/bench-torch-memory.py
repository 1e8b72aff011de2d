#!/usr/bin/env python3
"""Peak memory of PyTorch training with graftlr_torch.StaticSGD against torch.optim.SGD and Adam, each in its own
process, on graftlr's model (python/tests/tiny_bert.py, Hugging Face names) at a preset and batch:

    python3 scripts/bench-torch-memory.py [--preset base] [--batch 8] [--seq 128] [--steps 3]

StaticSGD runs a synthetic step-norm schedule with a factored preconditioner (constant values, all factors 1: the
most expensive rule, and memory does not depend on the values). Prints one JSON line: peak RSS (MiB) per optimizer,
StaticSGD against SGD (the target: at most +5%) and against Adam, and the BLAS kernel torch used. Children run
with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so OpenBLAS picks its kernel for this CPU.
"""
import argparse
import json
import os
import resource
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "python"), os.path.join(HERE, "..", "python", "tests")]
from graftlr_torch import StaticSGD  # noqa: E402
from graftlr_torch.container import encode_container, pack_array  # noqa: E402
from graftlr_torch.names import graftlr_name, graftlr_shape, model_fingerprint  # noqa: E402
from graftlr_torch.schedule import decode_schedule  # noqa: E402
from tiny_bert import TinyBert  # noqa: E402

from torch_common import PRESETS, blas_kernel  # noqa: E402 (beside this script)


def config_of(preset: str) -> dict:
    return {"vocabSize": 8192, **PRESETS[preset], "maxPositions": 512, "typeVocabSize": 2, "layerNormEps": 1e-12}


def synthetic_schedule(model: torch.nn.Module):
    """A stepNorm artifact with per-tensor constant groups and a factored preconditioner of ones, for `model`."""
    shapes = {}
    for name, p in model.named_parameters():
        g, transposed = graftlr_name(name)
        shapes[g] = graftlr_shape(p.shape, transposed)
    params = [{"name": n, "shape": s, "size": int(torch.Size(s).numel()), "group": n} for n, s in sorted(shapes.items())]
    ones = lambda n: pack_array(torch.ones(n), "f32")
    pre = {n: ({"rows": ones(s[0]), "cols": ones(s[1]), "eps": 1e-3} if len(s) == 2 else {"values": ones(int(torch.Size(s).numel())), "eps": 1e-3})
           for n, s in shapes.items()}
    body = {"format": "graftlr.schedule", "version": 2, "model": {"params": params, "fingerprint": model_fingerprint(shapes)},
            "probe": {"baseSchedule": {"kind": "base", "peakLr": 1e-3, "warmupSteps": 0, "totalSteps": 100, "decay": "linear", "endLr": 0}},
            "compression": {"method": "constant", "options": {"target": "stepNorm", "preconditioner": "factored"}},
            "groups": {n: {"constant": 1.0} for n in shapes}, "preconditioner": {"kind": "factored", "params": pre}}
    return decode_schedule(encode_container(body))


def child(a) -> None:
    torch.manual_seed(0)
    model = TinyBert(config_of(a.preset))
    if a.optimizer == "static":
        opt = StaticSGD(model.named_parameters(), synthetic_schedule(model), total_steps=100)
    elif a.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    B, T, V = a.batch, a.seq, 8192
    for _ in range(a.steps):
        ids = torch.randint(5, V, (B, T), generator=gen)
        pos = (torch.rand(B * T, generator=gen) < 0.15).nonzero().squeeze(1)
        loss = model(ids, torch.zeros_like(ids), torch.ones_like(ids), pos, torch.randint(5, V, (pos.numel(),), generator=gen))
        opt.zero_grad()
        loss.backward()
        opt.step()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"optimizer": a.optimizer, "peakRssMiB": round(rss, 1), "blas": blas_kernel(), "threads": torch.get_num_threads()}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="base", choices=sorted(PRESETS))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--optimizer", choices=["static", "sgd", "adam"], help=argparse.SUPPRESS)  # set for the child processes
    a = p.parse_args()
    if a.optimizer:
        return child(a)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    runs = {}
    for name in ("sgd", "static", "adam"):
        cmd = [sys.executable, __file__, "--preset", a.preset, "--batch", str(a.batch), "--seq", str(a.seq), "--steps", str(a.steps), "--optimizer", name]
        runs[name] = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
    rss = {k: r["peakRssMiB"] for k, r in runs.items()}
    print(json.dumps({"preset": a.preset, "batch": f"{a.batch}x{a.seq}", "steps": a.steps, "peakRssMiB": rss,
                      "staticOverSgd": round(rss["static"] / rss["sgd"] - 1, 4), "staticOverAdam": round(rss["static"] / rss["adam"] - 1, 4),
                      "withinTarget": rss["static"] <= 1.05 * rss["sgd"], "blas": runs["static"]["blas"], "threads": runs["static"]["threads"]}))


if __name__ == "__main__":
    main()
