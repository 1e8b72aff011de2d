"""What the PyTorch benchmark scripts (bench-torch.py, bench-torch-memory.py) share: graftlr's preset shapes and
the name of the BLAS kernel this process runs."""
import ctypes
import os

# graftlr's presets (src/model/config.ts): hidden size, layers, heads, intermediate size.
PRESETS = {
    "tiny": dict(hiddenSize=128, numLayers=2, numHeads=2, intermediateSize=512),
    "mini": dict(hiddenSize=256, numLayers=4, numHeads=4, intermediateSize=1024),
    "small": dict(hiddenSize=512, numLayers=4, numHeads=8, intermediateSize=2048),
    "base": dict(hiddenSize=768, numLayers=12, numHeads=12, intermediateSize=3072),
    "large": dict(hiddenSize=1024, numLayers=24, numHeads=16, intermediateSize=4096),
}


def blas_kernel() -> str:
    """OpenBLAS's core name (openblas_get_corename) from the BLAS library loaded in this process, else torch's BLAS line."""
    with open("/proc/self/maps") as maps:
        libs = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and ".so" in line})
    for lib in libs:
        try:
            corename = ctypes.CDLL(lib).openblas_get_corename
            corename.restype = ctypes.c_char_p
            return f"OpenBLAS {corename().decode()} ({os.path.basename(lib)})"
        except (OSError, AttributeError):
            continue
    import torch  # noqa: PLC0415

    return next((line.strip() for line in torch.__config__.show().splitlines() if "BLAS" in line), "unknown")
