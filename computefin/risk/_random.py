"""Reproducible random numbers: one stream per (seed, component, path block).

Every stochastic model draws through :func:`draw_paths`. Paths are cut into fixed blocks
of :data:`BLOCK_PATHS`; block ``k`` of component ``name`` always uses the generator seeded
by ``SeedSequence([seed, hash(name), k])``. So a run split into chunks, or spread over
workers, reproduces a single-process run bit for bit, and adding a component (a new
accelerator, a new counterparty) does not shift the draws of the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from computefin.errors import ValidationError

__all__ = ["BLOCK_PATHS", "component_key", "draw_paths", "rng_for_block"]

BLOCK_PATHS = 1024
"""Paths per random-number block; part of the reproducibility contract, never change it."""

_MAX_PATHS = 10_000_000


def component_key(name: str) -> int:
    """A stable 64-bit integer for a component name (independent of Python's hash seed).

    >>> component_key("price/nvidia-h100-sxm") == component_key("price/nvidia-h100-sxm")
    True
    """
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def rng_for_block(seed: int, name: str, block: int) -> np.random.Generator:
    """The generator for one block of paths of one component.

    >>> a = rng_for_block(7, "utilization", 0).standard_normal(3)
    >>> b = rng_for_block(7, "utilization", 0).standard_normal(3)
    >>> bool((a == b).all())
    True
    """
    if seed < 0:
        raise ValidationError("seed", "must be a non-negative integer", seed)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, component_key(name),
                                                                        block])))  # fmt: skip


def draw_paths(
    seed: int,
    name: str,
    n_paths: int,
    draw: Callable[[np.random.Generator, int], npt.NDArray[np.float64]],
    first_path: int = 0,
) -> npt.NDArray[np.float64]:
    """Draw ``n_paths`` paths (from ``first_path``) block by block and stack them on axis 0.

    ``draw(rng, n)`` must return an array whose first axis has length ``n`` and must
    consume the generator the same way for the same ``n``. Blocks are always generated
    whole and sliced, so paths ``[a, b)`` are the same numbers whichever chunking asked
    for them.

    >>> def normals(rng, n):
    ...     return rng.standard_normal((n, 4))
    >>> whole = draw_paths(1, "x", 3000, normals)
    >>> part = draw_paths(1, "x", 1000, normals, first_path=1500)
    >>> bool((whole[1500:2500] == part).all())
    True
    """
    if not 0 < n_paths <= _MAX_PATHS:
        raise ValidationError("n_paths", f"must be between 1 and {_MAX_PATHS:,}", n_paths)
    if first_path < 0:
        raise ValidationError("first_path", "must be >= 0", first_path)
    last = first_path + n_paths
    pieces = []
    for block in range(first_path // BLOCK_PATHS, (last - 1) // BLOCK_PATHS + 1):
        lo = block * BLOCK_PATHS
        values = draw(rng_for_block(seed, name, block), BLOCK_PATHS)
        pieces.append(values[max(first_path, lo) - lo : min(last, lo + BLOCK_PATHS) - lo])
    return np.concatenate(pieces, axis=0)
