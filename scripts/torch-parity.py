#!/usr/bin/env python3
"""PyTorch half of scripts/torch-parity.ts: trains the model of scripts/bench-torch.py from graftlr's
initial weights, on graftlr's batches, with graftlr's per-step learning rates (torch.optim.Adam, betas
0.9/0.999, eps 1e-8, as graftlr's adam), one thread. Prints the per-step losses as a JSON list.

    python3 scripts/torch-parity.py input.json
"""
import importlib.util
import json
import os
import sys

import torch

spec = importlib.util.spec_from_file_location("bench_torch", os.path.join(os.path.dirname(__file__), "bench-torch.py"))
bench_torch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_torch)


def load_weights(model, init):
    """graftlr's parameters (dense kernels stored [in, out]) into the torch model ([out, in])."""
    t = lambda name: torch.tensor(init[name]["data"], dtype=torch.float32).view(*init[name]["shape"])
    with torch.no_grad():
        model.word.copy_(t("embeddings.word_embeddings"))
        model.pos.copy_(t("embeddings.position_embeddings"))
        model.types.copy_(t("embeddings.token_type_embeddings"))
        model.emb_ln.weight.copy_(t("embeddings.LayerNorm.gamma"))
        model.emb_ln.bias.copy_(t("embeddings.LayerNorm.beta"))
        for i, layer in enumerate(model.layers):
            p = f"encoder.layer.{i}."
            qkv = ("query", "key", "value")
            layer.qkv.weight.copy_(torch.cat([t(p + f"attention.self.{x}.kernel").T for x in qkv], 0))
            layer.qkv.bias.copy_(torch.cat([t(p + f"attention.self.{x}.bias") for x in qkv], 0))
            layer.out.weight.copy_(t(p + "attention.output.dense.kernel").T)
            layer.out.bias.copy_(t(p + "attention.output.dense.bias"))
            layer.ln1.weight.copy_(t(p + "attention.output.LayerNorm.gamma"))
            layer.ln1.bias.copy_(t(p + "attention.output.LayerNorm.beta"))
            layer.ffn1.weight.copy_(t(p + "intermediate.dense.kernel").T)
            layer.ffn1.bias.copy_(t(p + "intermediate.dense.bias"))
            layer.ffn2.weight.copy_(t(p + "output.dense.kernel").T)
            layer.ffn2.bias.copy_(t(p + "output.dense.bias"))
            layer.ln2.weight.copy_(t(p + "output.LayerNorm.gamma"))
            layer.ln2.bias.copy_(t(p + "output.LayerNorm.beta"))
        model.head.weight.copy_(t("cls.predictions.transform.dense.kernel").T)
        model.head.bias.copy_(t("cls.predictions.transform.dense.bias"))
        model.head_ln.weight.copy_(t("cls.predictions.transform.LayerNorm.gamma"))
        model.head_ln.bias.copy_(t("cls.predictions.transform.LayerNorm.beta"))
        model.bias.copy_(t("cls.predictions.bias"))


def main():
    d = json.load(open(sys.argv[1]))
    c = d["config"]
    torch.set_num_threads(1)
    model = bench_torch.Bert(c["vocabSize"], c["hiddenSize"], c["numLayers"], c["numHeads"], c["intermediateSize"],
                             P=c["maxPositions"], types=c["typeVocabSize"], eps=c["layerNormEps"])
    load_weights(model, d["init"])
    opt = torch.optim.Adam(model.parameters(), lr=0.0, betas=(0.9, 0.999), eps=1e-8)
    B, T = d["batchSize"], d["seqLen"]
    losses = []
    for lr, b in zip(d["lrs"], d["batches"]):
        for g in opt.param_groups:
            g["lr"] = lr
        ids = torch.tensor(b["ids"]).view(B, T)
        loss = model(ids, torch.tensor(b["types"]).view(B, T), torch.tensor(b["mask"]).view(B, T),
                     torch.tensor(b["pos"]), torch.tensor(b["labels"]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(json.dumps(losses))


if __name__ == "__main__":
    main()
