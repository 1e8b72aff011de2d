"""GraftProbe: on the same initial weights and batches as `graftlr extract`, its per-group norms match graftlr's
probe trace within 1e-5 (relative), and its own trace goes through `graftlr compress` into a valid `.graft` that
StaticSGD accepts for the model."""
from __future__ import annotations

import math
import os
import unittest

import torch

from fixtures import TINY, TMP, graftlr, load, run_fixture
from graftlr_torch import GraftProbe, StaticSGD, read_schedule
from graftlr_torch.container import decode_container, unpack_array
from tiny_bert import TinyBert, batch_tensors, load_weights

STEPS, TOTAL = 6, 100  # extract's defaults: peak lr 1e-3, warmup 0.05 of the total, linear decay, Adam 0.9/0.999/1e-8
# GraftProbe grafts from full Adam, so graftlr's probe runs with --magnitude adam (its default is factored-adam-bf16)


def graftlr_trace() -> dict:
    """graftlr's own probe trace of STEPS steps (vocabulary 300)."""
    out = os.path.join(TMP, "probe.graft")
    graftlr("extract", *TINY, "--vocab-size", "300", "--total-steps", str(TOTAL), "--steps", str(STEPS), "--method", "constant",
            "--magnitude", "adam", "--stability-batches", "0", "--eval-sequences", "8", "--out", out)
    with open(out[: -len(".graft")] + ".trace", "rb") as f:
        return decode_container(f.read(), "graftlr.trace", 3, "probe trace", "re-run extract")


def torch_probe(fixture: str):
    """GraftProbe over the fixture's batches: (probe, model)."""
    inputs = load(os.path.join(fixture, "inputs.json"))
    model = TinyBert(inputs["config"])
    load_weights(model, os.path.join(fixture, "init.safetensors"))
    probe = GraftProbe(model.named_parameters(), total_steps=TOTAL, config=inputs["config"],
                       batch_size=inputs["batchSize"], seq_len=inputs["seqLen"])
    for b in inputs["batches"]:
        loss = model(*batch_tensors(b, inputs["batchSize"], inputs["seqLen"]))
        model.zero_grad()
        loss.backward()
        probe.step(loss.item())
    return probe, model


class ProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.fixture = run_fixture("probe-inputs", "--vocab-size", "300", "--steps", str(STEPS))
        cls.probe, cls.model = torch_probe(cls.fixture)

    def test_norms_match_graftlr_probe(self) -> None:
        ours, theirs = self.probe.trace(), graftlr_trace()
        self.assertEqual(ours["model"]["fingerprint"], theirs["model"]["fingerprint"])
        self.assertEqual([g["name"] for g in ours["model"]["groups"]], [g["name"] for g in theirs["model"]["groups"]])
        groups = [g["name"] for g in theirs["model"]["groups"]]
        largest = 0.0
        for column in ("uAdamNorm", "uSgdNorm", "gradNorm"):
            a, b = unpack_array(ours[column], column), unpack_array(theirs[column], column)
            self.assertEqual(list(a.shape), [STEPS, len(groups)])
            for j, g in enumerate(groups):
                if g.endswith("attention.self.key.bias"):
                    continue  # a round-off gradient (softmax is invariant to it): graftlr's compression skips it as noData
                worst = float(((a[:, j] - b[:, j]).abs() / b[:, j].abs()).max())
                self.assertLess(worst, 1e-5, f"{column} of {g}")
                largest = max(largest, worst)
        print(f"\nprobe: largest relative difference of a per-group norm to graftlr's {largest:.2e}")
        eta = unpack_array(ours["eta"], "eta")
        self.assertTrue(torch.allclose(eta, unpack_array(theirs["eta"], "eta"), rtol=1e-12))
        self.assertAlmostEqual(float(eta[0]), 1e-3 / 5)  # warmup of round(0.05 * 100) = 5 steps: eta(0) = peak / 5

    def test_trace_compresses_into_a_valid_graft(self) -> None:
        trace = os.path.join(TMP, "torch.trace")
        out = os.path.join(TMP, "torch.graft")
        self.probe.save(trace)
        graftlr("compress", trace, "--method", "constant", "--out", out)
        s = read_schedule(out)
        self.assertEqual((s.target, s.preconditioner is not None), ("stepNorm", True))  # compress's defaults
        self.assertEqual(s.raw["probe"]["steps"], STEPS)
        m = s.groups["embeddings.word_embeddings"]["constant"]
        self.assertTrue(m > 0 and math.isfinite(m))
        StaticSGD(self.model.named_parameters(), s, total_steps=10)  # fits the model it came from


if __name__ == "__main__":
    unittest.main()
