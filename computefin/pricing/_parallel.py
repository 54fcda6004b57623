"""Run a compiled kernel over blocks of rows on a few threads (the kernel drops the GIL).

The compiled kernels (:mod:`computefin.pricing._fused`,
:mod:`computefin.products.loan._fused`) take a row range ``lo, hi`` and are compiled
with ``nogil=True``: :func:`run_blocks` hands the blocks to a small thread pool, one block
at a time, so a core that the machine gives to another process takes fewer blocks
instead of holding up the rest. Each row's numbers do not depend on the split.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

__all__ = ["run_blocks", "set_threads", "threads"]

_LOCK: Final[threading.Lock] = threading.Lock()
_STATE: dict[str, Any] = {"threads": max(1, os.cpu_count() or 1), "pool": None}


def threads() -> int:
    """Threads the kernels run on (default: one per core).

    >>> threads() >= 1
    True
    """
    return int(_STATE["threads"])


def set_threads(count: int) -> int:
    """Run the kernels on ``count`` threads (1: in the calling thread); the previous count.

    >>> old = set_threads(1); set_threads(old)
    1
    """
    with _LOCK:
        old = int(_STATE["threads"])
        _STATE["threads"] = max(1, int(count))
        if _STATE["pool"] is not None and _STATE["threads"] != old:
            _STATE["pool"].shutdown(wait=True)
            _STATE["pool"] = None
    return old


def _pool() -> ThreadPoolExecutor:
    with _LOCK:
        if _STATE["pool"] is None:
            _STATE["pool"] = ThreadPoolExecutor(
                max_workers=int(_STATE["threads"]), thread_name_prefix="computefin-kernel"
            )
        pool: ThreadPoolExecutor = _STATE["pool"]
        return pool


def run_blocks(kernel: Callable[..., Any], n: int, block: int, *args: Any) -> None:
    """``kernel(lo, hi, *args)`` for consecutive blocks of ``block`` rows covering ``0..n``.

    >>> seen = []
    >>> run_blocks(lambda lo, hi: seen.append((lo, hi)), 5, 2)
    >>> sorted(seen)
    [(0, 2), (2, 4), (4, 5)]
    """
    bounds = [(lo, min(n, lo + block)) for lo in range(0, n, block)]
    if threads() == 1 or len(bounds) < 2:
        for lo, hi in bounds:
            kernel(lo, hi, *args)
        return
    futures = [_pool().submit(kernel, lo, hi, *args) for lo, hi in bounds]
    for future in futures:
        future.result()
