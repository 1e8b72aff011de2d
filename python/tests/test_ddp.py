"""Data-parallel: 2 processes under DistributedDataParallel (gloo, 127.0.0.1), each on half of every global batch,
end with the same weights (<= 1e-6) as one process on the whole batch, and each rank's StaticSGD holds 0 bytes of
per-parameter state. DDP averages the gradients during backward, so StaticSGD's per-group norms are of the
averaged gradient, as in one process.

The MLM loss is a mean over the batch's selected positions, and the halves select different numbers of them, so
each rank scales its mean to   loss_r * n_r * world / n   (n_r its positions, n the global batch's): the average
of the ranks' gradients is then exactly the whole batch's gradient."""
from __future__ import annotations

import os
import socket
import unittest
from typing import Any, Dict, Tuple

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from fixtures import ROOT, TMP, load, run_fixture
from graftlr_torch import StaticSGD
from tiny_bert import TinyBert, batch_tensors, load_weights, read_safetensors

STEPS, WORLD = 10, 2
SCHEDULE = os.path.join(ROOT, "artifacts", "tiny.graft")  # stepNorm + factored preconditioner: per-group norms matter


def half_batch(b: Dict[str, Any], B: int, T: int, rank: int) -> Tuple[tuple, int, int]:
    """Rows [rank B/2, (rank + 1) B/2) of a batch as model inputs, with its and the whole batch's position counts."""
    ids, types, mask, pos, labels = batch_tensors(b, B, T)
    rows = slice(rank * B // WORLD, (rank + 1) * B // WORLD)
    lo, hi = rows.start * T, rows.stop * T
    mine = (pos >= lo) & (pos < hi)
    return (ids[rows], types[rows], mask[rows], pos[mine] - lo, labels[mine]), int(mine.sum()), pos.numel()


def train(fixture: str, rank: int = 0, world: int = 1) -> Tuple[TinyBert, StaticSGD]:
    """STEPS steps of StaticSGD; with world > 1 under DDP on this rank's half of each batch."""
    inputs = load(os.path.join(fixture, "inputs.json"))
    torch.manual_seed(0)
    model = TinyBert(inputs["config"])
    load_weights(model, os.path.join(fixture, "init.safetensors"))
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = StaticSGD(model.named_parameters(), SCHEDULE, total_steps=STEPS)
    B, T = inputs["batchSize"], inputs["seqLen"]
    for b in inputs["batches"][:STEPS]:
        if world > 1:
            batch, n_rank, n = half_batch(b, B, T, rank)
            loss = net(*batch) * (n_rank * world / n)
        else:
            loss = net(*batch_tensors(b, B, T))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt


def worker(rank: int, port: int, fixture: str, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    try:
        model, opt = train(fixture, rank, WORLD)
        state_bytes = sum(t.numel() * t.element_size() for s in opt.state.values() for t in s.values() if torch.is_tensor(t))
        torch.save({"params": {n: p.detach().clone() for n, p in model.named_parameters()}, "state_bytes": state_bytes,
                    "state_entries": len(opt.state_dict()["state"]), "step": opt.state_dict()["step"]}, f"{out}.{rank}")
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DataParallelTest(unittest.TestCase):
    def test_two_ranks_match_one_process(self) -> None:
        fixture = run_fixture("tiny-inputs", "--vocab-size", "8192", "--steps", str(STEPS))
        out = os.path.join(TMP, "ddp")
        mp.spawn(worker, args=(free_port(), fixture, out), nprocs=WORLD, join=True)
        single, _ = train(fixture)
        ranks = [torch.load(f"{out}.{r}") for r in range(WORLD)]
        for r in ranks:
            self.assertEqual((r["state_bytes"], r["state_entries"], r["step"]), (0, 0, STEPS))
        init, moved, worst = read_safetensors(os.path.join(fixture, "init.safetensors")), 0.0, 0.0
        for name, p in single.named_parameters():
            if name.endswith("attention.self.key.bias"):
                continue  # its gradient is round-off: the step-norm direction is noise (see test_parity.py)
            for r in ranks:
                worst = max(worst, float((r["params"][name] - p.detach()).abs().max()))
            moved = max(moved, float((p.detach() - init[name]).abs().max()))
        print(f"\nDDP: largest weight difference to one process {worst:.2e}, largest weight change {moved:.2e}")
        self.assertLessEqual(worst, 1e-6)
        self.assertGreater(moved, 1e-3)  # the weights moved far more than the tolerance


if __name__ == "__main__":
    unittest.main()
