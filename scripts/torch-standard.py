#!/usr/bin/env python3
"""PyTorch half of scripts/torch-standard.ts: the same BERT shape built from PyTorch's own layers
(torch.nn.TransformerEncoderLayer, post-LN, GELU, no dropout) with PyTorch's default initialisation
(word and position embeddings N(0, 0.02)), trained with torch.optim.Adam (betas 0.9/0.999, eps 1e-8) on
graftlr's batches at graftlr's per-step learning rates. Independent of graftlr's model code and init.
Prints one JSON object: the training-loss means and the held-out loss at every evaluation point.

    python3 scripts/torch-standard.py input.json
"""
import json
import sys

import torch
import torch.nn.functional as F


class StandardMlm(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        H, V = c["hiddenSize"], c["vocabSize"]
        self.word = torch.nn.Embedding(V, H)
        self.pos = torch.nn.Embedding(c["maxPositions"], H)
        for e in (self.word, self.pos):
            torch.nn.init.normal_(e.weight, std=0.02)
        self.emb_ln = torch.nn.LayerNorm(H, eps=c["layerNormEps"])
        layer = torch.nn.TransformerEncoderLayer(H, c["numHeads"], c["intermediateSize"], dropout=0.0, activation="gelu",
                                                 batch_first=True, layer_norm_eps=c["layerNormEps"])
        self.encoder = torch.nn.TransformerEncoder(layer, c["numLayers"], enable_nested_tensor=False)
        self.transform = torch.nn.Linear(H, H)
        self.head_ln = torch.nn.LayerNorm(H, eps=c["layerNormEps"])
        self.bias = torch.nn.Parameter(torch.zeros(V))

    def loss_sum(self, b, T):
        ids = torch.tensor(b["ids"]).view(-1, T)  # (B, T)
        h = self.emb_ln(self.word(ids) + self.pos(torch.arange(T)))  # (B, T, H)
        h = self.encoder(h, src_key_padding_mask=torch.tensor(b["mask"]).view(-1, T) == 0)  # (B, T, H)
        rows = h.reshape(-1, h.shape[-1])[torch.tensor(b["pos"])]  # (N, H)
        logits = self.head_ln(F.gelu(self.transform(rows))) @ self.word.weight.T + self.bias  # (N, V), tied
        return F.cross_entropy(logits, torch.tensor(b["labels"]), reduction="sum"), len(b["labels"])


def main():
    d = json.load(open(sys.argv[1]))
    torch.manual_seed(d["seed"])
    torch.set_num_threads(1)
    model = StandardMlm(d["config"])
    opt = torch.optim.Adam(model.parameters(), lr=0.0, betas=(0.9, 0.999), eps=1e-8)
    T, every = d["seqLen"], d["evalEvery"]
    window, train_means, heldout = [], [], []
    for step, (lr, b) in enumerate(zip(d["lrs"], d["batches"])):
        for g in opt.param_groups:
            g["lr"] = lr
        total, n = model.loss_sum(b, T)
        loss = total / n
        opt.zero_grad()
        loss.backward()
        opt.step()
        window.append(loss.item())
        if (step + 1) % every == 0:
            with torch.no_grad():
                sums = [model.loss_sum(h, T) for h in d["heldout"]]
            heldout.append([step + 1, sum(s.item() for s, _ in sums) / sum(n for _, n in sums)])
            train_means.append([step + 1, sum(window) / len(window)])
            window = []
            print(json.dumps({"step": step + 1, "train": train_means[-1][1], "heldout": heldout[-1][1]}), file=sys.stderr, flush=True)
    print(json.dumps({"train": train_means, "heldout": heldout}))


if __name__ == "__main__":
    main()
