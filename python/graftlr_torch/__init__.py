"""graftlr_torch: run graftlr's `.graft` schedules in PyTorch (StaticSGD, one process or DistributedDataParallel)
and record probe traces that `graftlr compress` turns into schedules (GraftProbe). Needs torch and msgpack only.
The formats are specified in artifacts/FORMAT.md; the tests are in python/tests."""
from .container import GraftFileError
from .probe import GraftProbe
from .schedule import Schedule, base_lr, multiplier_at, read_schedule
from .static_sgd import StaticSGD

__all__ = ["GraftFileError", "GraftProbe", "Schedule", "StaticSGD", "base_lr", "multiplier_at", "read_schedule"]
