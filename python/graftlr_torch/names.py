"""Parameter names: graftlr's (which artifacts and traces use) from Hugging Face `BertForMaskedLM`'s, the
mapping graftlr's safetensors export uses (src/model/hf.ts, artifacts/FORMAT.md section 4):

    bert.embeddings.word_embeddings.weight      -> embeddings.word_embeddings        (same layout)
    bert.<...>.LayerNorm.weight / .bias         -> <...>.LayerNorm.gamma / .beta
    bert.encoder.<...>.weight (a Linear)        -> encoder.<...>.kernel               (transposed)
    cls.predictions.transform.dense.weight      -> cls.predictions.transform.dense.kernel (transposed)
    cls.predictions.decoder.weight / .bias      -> embeddings.word_embeddings / cls.predictions.bias (tied)

The rules leave a graftlr name unchanged, so a model may use graftlr's names directly. A `.kernel` tensor
is always taken in `torch.nn.Linear`'s [out, in] layout, the transpose of graftlr's [in, out].
"""
from __future__ import annotations

import hashlib
from typing import Dict, Mapping, Optional, Sequence, Tuple

TIED = {"cls.predictions.decoder.weight": "embeddings.word_embeddings", "cls.predictions.decoder.bias": "cls.predictions.bias"}


def graftlr_name(name: str, name_map: Optional[Mapping[str, str]] = None) -> Tuple[str, bool]:
    """(graftlr name, transposed) of a PyTorch parameter name; `name_map` (your name -> graftlr name) wins."""
    if name_map is not None and name in name_map:
        g = name_map[name]
    elif name in TIED:
        g = TIED[name]
    else:
        g = name[len("bert."):] if name.startswith("bert.") else name
        if g.endswith("LayerNorm.weight"):
            g = g[: -len("weight")] + "gamma"
        elif g.endswith("LayerNorm.bias"):
            g = g[: -len("bias")] + "beta"
        elif g.endswith("_embeddings.weight"):
            g = g[: -len(".weight")]
        elif g.endswith(".weight"):
            g = g[: -len("weight")] + "kernel"
    return g, g.endswith(".kernel")


def graftlr_shape(shape: Sequence[int], transposed: bool) -> list:
    """The tensor's shape in graftlr's layout."""
    return list(reversed(shape)) if transposed else list(shape)


def model_fingerprint(shapes: Mapping[str, Sequence[int]]) -> str:
    """sha256 over lines `name:d0xd1x...\\n` for the graftlr names in sorted order (FORMAT.md section 1)."""
    text = "".join(f"{n}:{'x'.join(str(d) for d in shapes[n])}\n" for n in sorted(shapes))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve(named: Sequence[Tuple[str, object]], name_map: Optional[Mapping[str, str]], who: str) -> Dict[str, Tuple[str, bool]]:
    """Your name -> (graftlr name, transposed) for every parameter; refuses two tensors with one graftlr name."""
    out: Dict[str, Tuple[str, bool]] = {}
    seen: Dict[str, str] = {}
    for name, _ in named:
        g, transposed = graftlr_name(name, name_map)
        if g in seen:
            raise ValueError(f'{who}: "{name}" and "{seen[g]}" both map to graftlr parameter "{g}": pass each tensor once (tied weights are listed once)')
        seen[g] = name
        out[name] = (g, transposed)
    return out
