"""A BERT MLM with Hugging Face BertForMaskedLM's parameter names and layouts, computing graftlr's model
(src/model/bert.ts, as scripts/bench-torch.py): post-LN, exact-erf GELU, attention bias -10000 on padding,
decoder tied to the word embeddings, MLM head on the selected rows only, loss = mean cross-entropy over them.
"""
from __future__ import annotations

import json
import math
import struct
from typing import Any, Dict

import torch
import torch.nn.functional as F
from torch import nn


def _container(**children: nn.Module) -> nn.Module:
    m = nn.Module()
    for name, child in children.items():
        setattr(m, name, child)
    return m


class TinyBert(nn.Module):
    """`config` is graftlr's BertConfig (vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, ...)."""

    def __init__(self, config: Dict[str, Any]) -> None:
        super().__init__()
        V, H, I = config["vocabSize"], config["hiddenSize"], config["intermediateSize"]
        self.heads, eps = config["numHeads"], config["layerNormEps"]
        ln = lambda: nn.LayerNorm(H, eps=eps)
        embeddings = _container(word_embeddings=nn.Embedding(V, H), position_embeddings=nn.Embedding(config["maxPositions"], H),
                                token_type_embeddings=nn.Embedding(config["typeVocabSize"], H), LayerNorm=ln())
        layers = nn.ModuleList()
        for _ in range(config["numLayers"]):
            attention = _container(self=_container(query=nn.Linear(H, H), key=nn.Linear(H, H), value=nn.Linear(H, H)),
                                   output=_container(dense=nn.Linear(H, H), LayerNorm=ln()))
            layers.append(_container(attention=attention, intermediate=_container(dense=nn.Linear(H, I)),
                                     output=_container(dense=nn.Linear(I, H), LayerNorm=ln())))
        self.bert = _container(embeddings=embeddings, encoder=_container(layer=layers))
        predictions = _container(transform=_container(dense=nn.Linear(H, H), LayerNorm=ln()))
        predictions.bias = nn.Parameter(torch.zeros(V))
        self.cls = _container(predictions=predictions)

    def forward(self, ids: torch.Tensor, types: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        B, T = ids.shape
        e = self.bert.embeddings
        H = e.word_embeddings.weight.shape[1]
        d = H // self.heads
        x = e.LayerNorm(e.word_embeddings(ids) + e.position_embeddings.weight[:T] + e.token_type_embeddings(types))  # (B, T, H)
        bias = ((1.0 - mask.float()) * -10000.0)[:, None, None, :]  # (B, 1, 1, T)
        split = lambda y: y.view(B, T, self.heads, d).transpose(1, 2)  # (B, A, T, d)
        for layer in self.bert.encoder.layer:
            s = getattr(layer.attention, "self")
            p = torch.softmax(split(s.query(x)) @ split(s.key(x)).transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)  # (B, A, T, T)
            ctx = (p @ split(s.value(x))).transpose(1, 2).reshape(B, T, H)  # (B, T, H)
            x = layer.attention.output.LayerNorm(x + layer.attention.output.dense(ctx))
            x = layer.output.LayerNorm(x + layer.output.dense(F.gelu(layer.intermediate.dense(x))))
        h = x.reshape(B * T, H)[positions]  # (N, H) selected rows only
        t = self.cls.predictions.transform
        logits = t.LayerNorm(F.gelu(t.dense(h))) @ e.word_embeddings.weight.t() + self.cls.predictions.bias  # (N, V)
        return F.cross_entropy(logits, labels)


def bert_init(model: nn.Module, std: float = 0.02) -> None:
    """BERT's initialisation (as graftlr's, up to the draws): weights N(0, std), biases 0, LayerNorm gamma 1."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.fill_(1.0)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0.0, std)


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """F32 tensors of a safetensors file (8-byte little-endian header length, JSON header, raw data)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        begin, end = h["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[8 + n + begin:8 + n + end]), dtype=torch.float32).reshape(h["shape"])
    return out


def load_weights(model: nn.Module, path: str) -> None:
    """Copies a graftlr safetensors export (Hugging Face names and layouts) into the model."""
    tensors = read_safetensors(path)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(tensors[name])


def batch_tensors(b: Dict[str, Any], B: int, T: int):
    """One graftlr batch as (ids, types, mask, positions, labels)."""
    view = lambda key: torch.tensor(b[key]).view(B, T)
    return view("ids"), view("types"), view("mask"), torch.tensor(b["pos"]), torch.tensor(b["labels"])
