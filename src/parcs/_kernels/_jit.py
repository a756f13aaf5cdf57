"""The one numba decorator every parcs kernel uses.

Flags come from environment variables read once at import (kernels never see
``parcs.settings``):

* ``PARCS_NUMBA_CACHE`` (default ``1``): ``0``/``false``/``no``/``off`` turns numba's on-disk
  cache off. The cache is on by default so that a new process loads compiled kernels in
  milliseconds instead of compiling them again.

LLVM fast-math flags are never enabled: their ``nnan``/``ninf`` flags assume that no value
is infinite, and every Dijkstra starts with all distances at ``inf``.

numba keys each cached kernel on the file that defines it only: when a kernel that another
file calls changes (the heap in ``dijkstra.py``, used by ``many.py``, ``astar.py``,
``gain.py``), the callers would keep running stale machine code from a warm cache. So at
import, when any kernel source differs from the last run, this package's cache files are
cleared (:func:`clear_stale_cache`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

__all__ = ["CACHE", "clear_stale_cache", "jit", "pjit"]

CACHE: bool = os.environ.get("PARCS_NUMBA_CACHE", "1").strip().lower() not in {
    "0",
    "false",
    "no",
    "off",
}

_STAMP = "parcs-kernels.sha1"


def clear_stale_cache(folder: Path) -> bool:
    """Delete numba's cache files of `folder` if its kernel sources changed since last time.

    The digest of every ``*.py`` in `folder` is kept in ``__pycache__/parcs-kernels.sha1``.
    Returns True when cache files were cleared. Errors (a read-only install) are ignored:
    numba then uses its own user-wide cache directory.
    """
    digest = hashlib.sha1(usedforsecurity=False)
    for src in sorted(folder.glob("*.py")):
        digest.update(src.name.encode())
        digest.update(src.read_bytes())
    cache = folder / "__pycache__"
    stamp = cache / _STAMP
    try:
        if stamp.read_text(encoding="ascii") == digest.hexdigest():
            return False
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for stale in (*cache.glob("*.nbi"), *cache.glob("*.nbc")):
            stale.unlink(missing_ok=True)
        stamp.write_text(digest.hexdigest(), encoding="ascii")
    except OSError:
        return False
    return True


if CACHE:
    clear_stale_cache(Path(__file__).parent)

#: Serial kernels: compiled on first call, cached on disk, release the GIL.
jit = numba.njit(cache=CACHE, nogil=True)

#: Parallel kernels (``numba.prange``); the thread count is set by the caller with
#: ``numba.set_num_threads``, never at import.
pjit = numba.njit(cache=CACHE, nogil=True, parallel=True)
