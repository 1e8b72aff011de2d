"""graftlr's binary container (artifacts/FORMAT.md section 1): one msgpack map with `format`, `version`, ...,
`checksum`, numeric arrays as `{dtype, shape, data}` records (little-endian, row-major), and

    checksum = "sha256:" + sha256(canonical msgpack of the map without `checksum`)

where canonical means map keys sorted at every level, integers in the int32/uint32 range in their smallest
form and every other number as float64. Decoding checks, in this order: readable msgpack, format, version,
checksum; each failure is one GraftFileError line saying what to do.
"""
from __future__ import annotations

import hashlib
import math
from typing import Any, Dict, List, Sequence

import msgpack
import torch

TOOL = {"name": "graftlr", "version": "0.1.0"}
_DTYPES = {"f32": torch.float32, "f64": torch.float64, "i32": torch.int32, "u8": torch.uint8}


class GraftFileError(ValueError):
    """A file graftlr did not write, a corrupted one, or one made for another model (one-line message)."""


def plain(x: Any, where: str = "value") -> Any:
    """The value as graftlr writes it: keys sorted at every level, integral floats in the int32/uint32 range
    as ints (JavaScript has one number type, so graftlr's canonical form cannot tell 1.0 from 1)."""
    if isinstance(x, dict):
        return {k: plain(x[k], f"{where}.{k}") for k in sorted(x, key=lambda k: k.encode("utf-8"))}
    if isinstance(x, (list, tuple)):
        return [plain(v, f"{where}[{i}]") for i, v in enumerate(x)]
    if isinstance(x, bool) or x is None or isinstance(x, (str, bytes)):
        return x
    if isinstance(x, (int, float)):
        if not math.isfinite(x):
            raise GraftFileError(f"cannot encode {where} = {x}: numbers must be finite (use None for no value)")
        if float(x).is_integer() and -0x80000000 <= x <= 0xFFFFFFFF:
            return int(x)
        return float(x)
    raise GraftFileError(f"cannot encode {where}: {type(x).__name__} is not a plain value")


def checksum_of(body: Dict[str, Any]) -> str:
    """sha256 of the canonical encoding of `body` (which must not hold `checksum`)."""
    return "sha256:" + hashlib.sha256(msgpack.packb(plain(body), use_bin_type=True)).hexdigest()


def encode_container(body: Dict[str, Any]) -> bytes:
    """The file bytes: the canonical map with its checksum appended as the last key."""
    canonical = plain(body)
    return msgpack.packb({**canonical, "checksum": checksum_of(canonical)}, use_bin_type=True)


def decode_container(data: bytes, fmt: str, newest: int, what: str, remedy: str) -> Dict[str, Any]:
    """Unpacks and checks magic, version (1..newest) and checksum; returns the map without `checksum`."""
    try:
        raw = msgpack.unpackb(data, raw=False)
    except Exception as err:  # msgpack raises several types for truncated or foreign bytes
        raise GraftFileError(f"{what} is not readable msgpack (truncated or corrupted: {err}): {remedy}") from None
    found = raw.get("format") if isinstance(raw, dict) else None
    if found != fmt:
        said = f'its format is "{found}"' if isinstance(found, str) else "it has no format field"
        raise GraftFileError(f'not a {what}: expected format "{fmt}" but {said}: pass a file written by graftlr')
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise GraftFileError(f"{what} has an invalid version {version!r}: the file is corrupted; {remedy}")
    if version > newest:
        raise GraftFileError(f"{what} version {version} was made by a newer graftlr (this reads version {newest}): upgrade graftlr")
    body = {k: v for k, v in raw.items() if k != "checksum"}
    stored = raw.get("checksum")
    if not isinstance(stored, str):
        raise GraftFileError(f"{what} has no checksum: the file is corrupted; {remedy}")
    computed = checksum_of(body)
    if computed != stored:
        raise GraftFileError(f"{what} checksum mismatch (stored {stored[7:19]}, computed {computed[7:19]}): the file is corrupted; {remedy}")
    return body


def unpack_array(x: Any, where: str) -> torch.Tensor:
    """A `{dtype, shape, data}` record as a tensor of that dtype and shape (a copy)."""
    if not isinstance(x, dict) or x.get("dtype") not in _DTYPES or not isinstance(x.get("data"), bytes):
        raise GraftFileError(f"{where}: expected an array record {{dtype, shape, data}}")
    shape = x.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise GraftFileError(f"{where}: shape must be a list of integers >= 0")
    dtype = _DTYPES[x["dtype"]]
    n = math.prod(shape)
    if len(x["data"]) != n * torch.empty((), dtype=dtype).element_size():
        raise GraftFileError(f"{where}: shape {shape} does not match {len(x['data'])} bytes of {x['dtype']}")
    flat = torch.frombuffer(bytearray(x["data"]), dtype=dtype) if n > 0 else torch.empty(0, dtype=dtype)
    return flat.reshape(shape)  # little-endian bytes: every platform torch runs on


def pack_array(t: torch.Tensor, dtype: str, shape: Sequence[int] | None = None) -> Dict[str, Any]:
    """A tensor as a `{dtype, shape, data}` record (row-major, little-endian)."""
    flat = t.detach().to("cpu", _DTYPES[dtype]).contiguous().reshape(-1)
    return {"dtype": dtype, "shape": list(shape if shape is not None else t.shape), "data": flat.numpy().tobytes()}


def shape_list(x: Any, where: str) -> List[int]:
    """A list of integers >= 0, or a GraftFileError naming `where`."""
    if not isinstance(x, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in x):
        raise GraftFileError(f"{where} must be a list of integers >= 0, got {x!r}")
    return x
