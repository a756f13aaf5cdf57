"""The one numba decorator every parcs kernel uses.

Flags come from environment variables read once at import (kernels never see
``parcs.settings``):

* ``PARCS_NUMBA_CACHE`` (default ``1``): ``0``/``false``/``no``/``off`` turns numba's on-disk
  cache off. The cache is on by default so that a new process loads compiled kernels in
  milliseconds instead of compiling them again.

LLVM fast-math flags are never enabled: their ``nnan``/``ninf`` flags assume that no value
is infinite, and every Dijkstra starts with all distances at ``inf``.
"""

from __future__ import annotations

import os

import numba

__all__ = ["CACHE", "jit", "pjit"]

CACHE: bool = os.environ.get("PARCS_NUMBA_CACHE", "1").strip().lower() not in {
    "0",
    "false",
    "no",
    "off",
}

#: Serial kernels: compiled on first call, cached on disk, release the GIL.
jit = numba.njit(cache=CACHE, nogil=True)

#: Parallel kernels (``numba.prange``); the thread count is set by the caller with
#: ``numba.set_num_threads``, never at import.
pjit = numba.njit(cache=CACHE, nogil=True, parallel=True)
