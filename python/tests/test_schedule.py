"""read_schedule refuses bad files with one line; the schedule arithmetic and StaticSGD's rule on hand-made
artifacts, with the numbers derived beside them."""
from __future__ import annotations

import os
import unittest

import msgpack
import torch

from fixtures import ROOT, TMP
from graftlr_torch import GraftFileError, StaticSGD, base_lr, multiplier_at, read_schedule
from graftlr_torch.container import encode_container, pack_array
from graftlr_torch.names import graftlr_name, model_fingerprint
from tiny_bert import TinyBert

TINY_GRAFT = os.path.join(ROOT, "artifacts", "tiny.graft")


def artifact(target: str, groups: dict, pre: dict = None, base: dict = None) -> bytes:
    """A minimal schedule artifact for a model of one (2, 3) kernel "k.kernel" and one bias "b" of 2, per-tensor groups."""
    params = [{"name": "b", "shape": [2], "size": 2, "group": "b"}, {"name": "k.kernel", "shape": [2, 3], "size": 6, "group": "k.kernel"}]
    body = {
        "format": "graftlr.schedule", "version": 2, "model": {"params": params, "fingerprint": model_fingerprint({"b": [2], "k.kernel": [2, 3]})},
        "probe": {"baseSchedule": base or {"kind": "base", "peakLr": 0.1, "warmupSteps": 0, "totalSteps": 10, "decay": "constant", "endLr": 0}},
        "compression": {"method": "constant", "options": {"target": target}}, "groups": groups,
    }
    if pre is not None:
        body["preconditioner"] = {"kind": "factored", "params": pre}
    return encode_container(body)


def write(name: str, data: bytes) -> str:
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


class Toy(torch.nn.Module):
    """A torch.nn.Linear(2 -> 3) named like a graftlr kernel "k" (weight (3, 2) = the kernel transposed), and "b"."""

    def __init__(self) -> None:
        super().__init__()
        self.k = torch.nn.Linear(2, 3, bias=False)
        self.b = torch.nn.Parameter(torch.zeros(2))


class ReadScheduleTest(unittest.TestCase):
    def refuses(self, data: bytes, words: str) -> None:
        with self.assertRaises(GraftFileError) as cm:
            read_schedule(write("bad.graft", data))
        self.assertIn(words, str(cm.exception))
        self.assertNotIn("\n", str(cm.exception))

    def test_bad_files_are_refused_with_one_line(self) -> None:
        with open(TINY_GRAFT, "rb") as f:
            good = f.read()
        flipped = bytearray(good)
        flipped[len(good) // 2] ^= 0x01  # one bit inside the body: still msgpack, wrong checksum
        self.refuses(bytes(flipped), "checksum mismatch")
        self.refuses(good[: len(good) // 3], "not readable msgpack")
        self.refuses(msgpack.packb({"format": "graftlr.trace", "version": 3}), 'expected format "graftlr.schedule"')
        self.refuses(msgpack.packb({"format": "graftlr.schedule", "version": 3}), "newer graftlr")
        self.refuses(artifact("multiplier", {"b": {"constant": 1.0}}), 'no schedule for group "k.kernel"')
        self.refuses(artifact("other", {"b": {"constant": 1.0}, "k.kernel": {"constant": 1.0}}), "target")
        self.refuses(artifact("multiplier", {"b": {"knots": [[0.5, 1.0], [0.5, 2.0]]}, "k.kernel": {"constant": 1.0}}), "strictly increasing")

    def test_other_model_is_refused_with_one_line(self) -> None:
        model = TinyBert({"vocabSize": 300, "hiddenSize": 128, "numLayers": 2, "numHeads": 2, "intermediateSize": 512,
                          "maxPositions": 512, "typeVocabSize": 2, "layerNormEps": 1e-12})
        with self.assertRaises(GraftFileError) as cm:
            StaticSGD(model.named_parameters(), TINY_GRAFT, total_steps=10)  # tiny.graft is for vocabulary 8192
        self.assertIn("embeddings.word_embeddings has shape [300, 128] here but [8192, 128]", str(cm.exception))
        with self.assertRaises(GraftFileError) as cm:
            StaticSGD(Toy().named_parameters(), TINY_GRAFT, total_steps=10)
        self.assertIn("made for another model", str(cm.exception))

    def test_hf_names(self) -> None:
        self.assertEqual(graftlr_name("bert.encoder.layer.1.attention.self.query.weight"), ("encoder.layer.1.attention.self.query.kernel", True))
        self.assertEqual(graftlr_name("bert.embeddings.LayerNorm.bias"), ("embeddings.LayerNorm.beta", False))
        self.assertEqual(graftlr_name("bert.embeddings.word_embeddings.weight"), ("embeddings.word_embeddings", False))
        self.assertEqual(graftlr_name("cls.predictions.decoder.weight"), ("embeddings.word_embeddings", False))
        self.assertEqual(graftlr_name("cls.predictions.bias"), ("cls.predictions.bias", False))
        self.assertEqual(graftlr_name("w", {"w": "k.kernel"}), ("k.kernel", True))


class ArithmeticTest(unittest.TestCase):
    def test_base_lr_stretches_like_train(self) -> None:
        base = {"kind": "base", "peakLr": 1e-3, "warmupSteps": 200, "totalSteps": 4000, "decay": "linear", "endLr": 0}
        # 50 steps: W = round(200 / 4000 * 50) = round(2.5) = 3; eta(0) = 1e-3 / 3, eta(2) = 1e-3; then D = 47:
        # eta(3 + 47 / 2) = 1e-3 / 2 at the midpoint of the decay (t = 26.5 is not a step: check t = 26, s = 23).
        self.assertAlmostEqual(base_lr(base, 0, 50), 1e-3 / 3)
        self.assertAlmostEqual(base_lr(base, 2, 50), 1e-3)
        self.assertAlmostEqual(base_lr(base, 26, 50), 1e-3 * (1 - 23 / 47))
        self.assertAlmostEqual(base_lr({**base, "decay": "inverse-sqrt"}, 15, 50), 1e-3 * (3 / 15) ** 0.5)  # sqrt(W / (W + s)), s = 12
        # T = 40, W = 23 over 100 steps: W = round(23 * 100 / 40) = round(57.5) = 58, so eta(57) = peak.
        probe = {**base, "warmupSteps": 23, "totalSteps": 40}
        self.assertAlmostEqual(base_lr(probe, 0, 100), 1e-3 / 58)
        self.assertAlmostEqual(base_lr(probe, 57, 100), 1e-3)

    def test_multiplier_log_linear(self) -> None:
        s = {"knots": [[0.0, 1.0], [0.5, 4.0]]}
        self.assertAlmostEqual(multiplier_at(s, 0.25), 2.0)  # halfway in ln: exp((ln 1 + ln 4) / 2) = 2
        self.assertEqual(multiplier_at(s, 0.9), 4.0)  # held after the last knot


class StaticSgdTest(unittest.TestCase):
    def test_all_ones_multiplier_is_plain_sgd(self) -> None:
        toy, ref = Toy(), Toy()
        ref.load_state_dict(toy.state_dict())
        path = write("ones.graft", artifact("multiplier", {"b": {"constant": 1.0}, "k.kernel": {"constant": 1.0}}))
        opt, sgd = StaticSGD(toy.named_parameters(), path, total_steps=10), torch.optim.SGD(ref.parameters(), lr=0.1)
        for m, o in ((toy, opt), (ref, sgd)):
            for p in m.parameters():
                p.grad = torch.arange(p.numel(), dtype=torch.float32).view_as(p) + 1
            o.step()
        for a, b in zip(toy.parameters(), ref.parameters()):
            self.assertTrue(torch.equal(a, b))
        self.assertEqual(opt.state_dict()["state"], {})
        self.assertEqual(opt.state_dict()["step"], 1)

    def test_step_norm_with_factored_preconditioner(self) -> None:
        # Kernel factors (graftlr layout (2, 3)): rows [1, 3] (mean 2), cols [4, 4, 4] -> v~[i, j] = rows[i] / 2 * 4
        # = [[2, 2, 2], [6, 6, 6]]; eps = sqrt 2 -> P = 1 / sqrt([[4]*3, [8]*3]) = [[1/2]*3, [1/sqrt 8]*3].
        pre = {"k.kernel": {"rows": pack_array(torch.tensor([1.0, 3.0]), "f32"), "cols": pack_array(torch.tensor([4.0, 4.0, 4.0]), "f32"), "eps": 2 ** 0.5},
               "b": {"values": pack_array(torch.tensor([0.0, 0.0]), "f32"), "eps": 1.0}}
        path = write("pre.graft", artifact("stepNorm", {"b": {"constant": 5.0}, "k.kernel": {"constant": 2.0}}, pre))
        toy = Toy()
        with torch.no_grad():
            toy.k.weight.zero_()
        opt = StaticSGD(toy.named_parameters(), path, total_steps=10)
        toy.k.weight.grad = torch.ones(3, 2)  # torch layout (out 3, in 2): column i of it is row i of graftlr's kernel
        toy.b.grad = torch.tensor([3.0, 4.0])
        opt.step()
        # d = P * g: kernel columns 1/2 and 1/sqrt(8); ||d|| = sqrt(3/4 + 3/8) = sqrt(9/8); step = 0.1 * 2 * d / ||d||.
        n = (9 / 8) ** 0.5
        expect = -0.2 * torch.tensor([[0.5, 8 ** -0.5]] * 3) / n
        self.assertTrue(torch.allclose(toy.k.weight, expect, atol=1e-7))
        # bias: P = 1, d = [3, 4], ||d|| = 5: w = -0.1 * 5 * [3, 4] / 5 = [-0.3, -0.4].
        self.assertTrue(torch.allclose(toy.b, torch.tensor([-0.3, -0.4]), atol=1e-7))


if __name__ == "__main__":
    unittest.main()
