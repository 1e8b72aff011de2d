#!/usr/bin/env python3
"""PyTorch reference for the engine and memory benchmarks: the same BERT MLM as graftlr, trained with plain SGD
(default) or Adam.

    python3 scripts/bench-torch.py --preset tiny [--batch 32] [--seq 128] [--steps 10] [--warmup 2] [--optimizer sgd|adam]
    python3 scripts/bench-torch.py --gemm          # sgemm GFLOP/s (numpy and torch), model shapes + 2048^3

Prints one JSON line. The model follows graftlr's contract (src/model/config.ts, the brief): post-LN BERT,
exact-erf GELU, tied output embedding, MLM head on the selected rows only, loss = mean cross-entropy over
them; batch of random ids, full attention, ~15% of positions selected (as scripts/bench-engines.ts
benchBatch). Threads: one per core (torch.set_num_threads). Peak RSS from resource.getrusage.
"""
import argparse
import json
import math
import os
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F

from torch_common import PRESETS, blas_kernel  # noqa: E402 (beside this script)


class Bert(torch.nn.Module):
    def __init__(self, V, H, L, A, I, P, types=2, eps=1e-12):
        super().__init__()
        self.A, self.eps = A, eps
        init = lambda *shape: torch.nn.Parameter(torch.randn(*shape) * 0.02)
        self.word, self.pos, self.types = init(V, H), init(P, H), init(types, H)
        self.emb_ln = torch.nn.LayerNorm(H, eps=eps)
        self.layers = torch.nn.ModuleList()
        for _ in range(L):
            m = torch.nn.Module()
            m.qkv = torch.nn.Linear(H, 3 * H)  # Wq, Wk, Wv side by side
            m.out = torch.nn.Linear(H, H)
            m.ln1 = torch.nn.LayerNorm(H, eps=eps)
            m.ffn1, m.ffn2 = torch.nn.Linear(H, I), torch.nn.Linear(I, H)
            m.ln2 = torch.nn.LayerNorm(H, eps=eps)
            self.layers.append(m)
        self.head = torch.nn.Linear(H, H)
        self.head_ln = torch.nn.LayerNorm(H, eps=eps)
        self.bias = torch.nn.Parameter(torch.zeros(V))

    def forward(self, ids, types, mask, positions, labels):
        B, T = ids.shape
        H = self.word.shape[1]
        d = H // self.A
        x = self.emb_ln(self.word[ids] + self.pos[:T] + self.types[types])  # (B, T, H)
        bias = ((1.0 - mask.float()) * -10000.0)[:, None, None, :]  # (B, 1, 1, T)
        for m in self.layers:
            q, k, v = m.qkv(x).view(B, T, 3, self.A, d).permute(2, 0, 3, 1, 4)  # each (B, A, T, d)
            p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)  # (B, A, T, T)
            ctx = (p @ v).transpose(1, 2).reshape(B, T, H)
            x = m.ln1(x + m.out(ctx))
            x = m.ln2(x + m.ffn2(F.gelu(m.ffn1(x))))  # exact erf GELU
        h = x.reshape(B * T, H)[positions]  # (N, H) selected rows only
        t = self.head_ln(F.gelu(self.head(h)))
        logits = t @ self.word.t() + self.bias  # tied output projection (N, V)
        return F.cross_entropy(logits, labels)


def bench_batch(V, B, T, gen):
    ids = torch.randint(5, V, (B, T), generator=gen)
    selected = torch.rand(B * T, generator=gen) < 0.15
    selected[0] = True
    positions = selected.nonzero().squeeze(1)
    labels = torch.randint(5, V, (positions.numel(),), generator=gen)
    return ids, torch.zeros(B, T, dtype=torch.long), torch.ones(B, T, dtype=torch.long), positions, labels


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def train(args):
    c = {**PRESETS[args.preset], **json.loads(args.config or "{}")}
    V, H, L, A, I = args.vocab, c["hiddenSize"], c["numLayers"], c["numHeads"], c["intermediateSize"]
    torch.manual_seed(0)
    model = Bert(V, H, L, A, I, P=max(512, args.seq))
    if args.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    batch = bench_batch(V, args.batch, args.seq, torch.Generator().manual_seed(0))
    times, loss = [], float("nan")
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out = model(*batch)
        out.backward()
        opt.step()
        loss = out.item()
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    ms = times[len(times) // 2]
    return {
        "engine": "torch", "optimizer": args.optimizer, "preset": args.preset, "torch": torch.__version__,
        "threads": torch.get_num_threads(), "blasKernel": blas_kernel(),
        "msPerStep": round(ms, 1), "minMs": round(times[0], 1), "tokensPerSec": round(args.batch * args.seq / (ms / 1000)),
        "peakRssMB": round(peak_rss_mb()), "loss": round(loss, 4), "steps": len(times), "maskedRows": int(batch[3].numel()),
        "params": sum(p.numel() for p in model.parameters()),
    }


def gflops(fn, m, k, n, reps):
    fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    t.sort()
    return round(2 * m * k * n / t[len(t) // 2] / 1e9, 1)


def gemm(args):
    """sgemm GFLOP/s at the model's dominant shapes (batch 32 x 128 rows) and at 2048^3."""
    BT = args.batch * args.seq
    shapes = {"square 2048": (2048, 2048, 2048)}
    for name, p in PRESETS.items():
        H, I = p["hiddenSize"], p["intermediateSize"]
        shapes[f"{name} ffn (BT x H x I)"] = (BT, H, I)
        shapes[f"{name} qkv (BT x H x 3H)"] = (BT, H, 3 * H)
    out = {}
    for name, (m, k, n) in shapes.items():
        a, b = np.random.rand(m, k).astype(np.float32), np.random.rand(k, n).astype(np.float32)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        reps = 5 if m * k * n > 1e9 else 20
        out[name] = {"numpy": gflops(lambda: a @ b, m, k, n, reps), "torch": gflops(lambda: ta @ tb, m, k, n, reps)}
    return {"gemm": out, "threads": torch.get_num_threads(), "numpyBlas": blas_name()}


def blas_name():
    try:
        from numpy.__config__ import get_info  # noqa: PLC0415 (numpy < 2)
        for key in ("openblas_info", "blas_mkl_info", "blis_info", "blas_info"):
            if get_info(key):
                return key.replace("_info", "")
    except Exception:  # noqa: BLE001 (only a label)
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    ap.add_argument("--config", help="JSON overrides of the preset (hiddenSize, numLayers, numHeads, intermediateSize)")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--gemm", action="store_true")
    ap.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(gemm(args) if args.gemm else train(args)))


if __name__ == "__main__":
    main()
