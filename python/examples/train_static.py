#!/usr/bin/env python3
"""Trains graftlr's BERT MLM in PyTorch with a `.graft` schedule and StaticSGD, on one process or under
DistributedDataParallel, on random token batches (bring your own data loader).

    PYTHONPATH=python python3 python/examples/train_static.py artifacts/tiny.graft --steps 100
    PYTHONPATH=python torchrun --nproc_per_node 2 python/examples/train_static.py artifacts/tiny.graft --steps 100
    PYTHONPATH=python python3 python/examples/train_static.py artifacts/tiny.graft --steps 100 --spawn 2

--spawn N starts N gloo processes on 127.0.0.1 itself (torch.multiprocessing), for where torchrun is not usable.
The model is python/tests/tiny_bert.py (Hugging Face BertForMaskedLM names and layouts); a
`transformers.BertForMaskedLM` with the same config takes its place unchanged: StaticSGD reads the same names.
"""
import argparse
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from graftlr_torch import StaticSGD, read_schedule  # noqa: E402
from tiny_bert import TinyBert, bert_init  # noqa: E402


def train(rank: int, world: int, a: argparse.Namespace) -> None:
    if world > 1:  # torchrun (or --spawn) sets MASTER_ADDR and MASTER_PORT
        dist.init_process_group("gloo", rank=rank, world_size=world)  # "nccl" on GPUs, model and batches on the rank's device
    schedule = read_schedule(a.schedule)
    config = schedule.raw["model"]["config"]  # the model the schedule was extracted for
    torch.manual_seed(0)  # the same initial weights on every rank
    model = TinyBert(config)
    bert_init(model)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = StaticSGD(model.named_parameters(), schedule, total_steps=a.steps)  # steps on the averaged gradients
    gen = torch.Generator().manual_seed(1000 + rank)  # each rank its own data
    B, T, V = a.batch // world, a.seq, config["vocabSize"]
    for step in range(a.steps):
        ids = torch.randint(5, V, (B, T), generator=gen)
        pos = (torch.rand(B * T, generator=gen) < 0.15).nonzero().squeeze(1)
        loss = net(ids, torch.zeros_like(ids), torch.ones_like(ids), pos, torch.randint(5, V, (pos.numel(),), generator=gen))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if rank == 0 and (step % 10 == 0 or step == a.steps - 1):
            print(f"step {step}: loss {loss.item():.4f}", flush=True)
    if rank == 0:
        print(f"{world} process(es); optimizer state: step {opt.state_dict()['step']}, {len(opt.state)} per-parameter entries")
    if world > 1:
        dist.destroy_process_group()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("schedule")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch", type=int, default=8, help="global batch, split over the processes")
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--spawn", type=int, default=0, help="start this many processes here (gloo on 127.0.0.1)")
    a = p.parse_args()
    if a.spawn > 1:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(s.getsockname()[1]))
        mp.spawn(train, args=(a.spawn, a), nprocs=a.spawn, join=True)
    else:
        train(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")), a)


if __name__ == "__main__":
    main()
