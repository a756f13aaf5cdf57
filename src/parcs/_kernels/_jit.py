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

numba caches next to the sources (``_kernels/__pycache__``). A read-only install (system
package, ``pip install --target`` on a read-only disk) has no such folder: then the cache goes
to ``$PARCS_CACHE_DIR/numba-<digest of the kernel sources>`` (or the same name in the system
temporary folder), so a changed kernel never meets a stale cache there either; if no folder is
writable, caching is turned off with one warning and every process compiles again.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numba
from numba.core import event as _event

from parcs._log import compile_notice

__all__ = ["CACHE", "clear_stale_cache", "jit", "pjit"]

CACHE: bool = os.environ.get("PARCS_NUMBA_CACHE", "1").strip().lower() not in {
    "0",
    "false",
    "no",
    "off",
}

_STAMP = "parcs-kernels.sha1"
_shown = {"compile": False}


def _digest(folder: Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for src in sorted(folder.glob("*.py")):
        digest.update(src.name.encode())
        digest.update(src.read_bytes())
    return digest.hexdigest()


def _writable(folder: Path) -> bool:
    """Create `folder` if needed and tell whether a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def choose_cache_dir(folder: Path) -> bool:
    """Make sure numba has a writable cache folder for the kernels in `folder`.

    Returns False when none is writable (caching must then be off). Sets
    ``numba.config.CACHE_DIR`` when the in-tree ``__pycache__`` is not writable.
    """
    # numba.config sets its options at run time: mypy cannot see them
    if numba.config.CACHE_DIR or _writable(folder / "__pycache__"):  # type: ignore[attr-defined]
        return True
    from parcs import settings  # noqa: PLC0415 - only for read-only installs

    name = f"numba-{_digest(folder)[:12]}"
    try:
        base = settings.cache_dir()
    except Exception:  # noqa: BLE001 - a bad $PARCS_CACHE_DIR falls back to the temp folder
        base = None
    uid = getattr(os, "getuid", lambda: 0)()
    tmp = Path(tempfile.gettempdir()) / f"parcs-{uid}" / name
    for candidate in [*([base / name] if base else []), tmp]:
        if _writable(candidate):
            numba.config.CACHE_DIR = str(candidate)  # type: ignore[attr-defined]
            return True
    return False


def clear_stale_cache(folder: Path) -> bool:
    """Delete numba's cache files of `folder` if its kernel sources changed since last time.

    The digest of every ``*.py`` in `folder` is kept in ``__pycache__/parcs-kernels.sha1``.
    Returns True when cache files were cleared. Errors (a read-only install) are ignored:
    numba then uses its own user-wide cache directory.
    """
    digest = _digest(folder)
    cache = folder / "__pycache__"
    stamp = cache / _STAMP
    try:
        if stamp.read_text(encoding="ascii") == digest:
            return False
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for stale in (*cache.glob("*.nbi"), *cache.glob("*.nbc")):
            stale.unlink(missing_ok=True)
        stamp.write_text(digest, encoding="ascii")
    except OSError:
        return False
    return True


# numba.config sets its options at run time: mypy cannot see them
if CACHE and not numba.config.DISABLE_JIT:  # type: ignore[attr-defined]
    if choose_cache_dir(Path(__file__).parent):
        clear_stale_cache(Path(__file__).parent)
    else:
        CACHE = False
        warnings.warn(
            "parcs: no writable folder for numba's cache (read-only install and "
            "$PARCS_CACHE_DIR/tmp not writable); kernels are compiled in every process",
            RuntimeWarning,
            stacklevel=2,
        )


class _CompileNotice(_event.Listener):
    """Write the notice once per process, when numba starts compiling a parcs kernel."""

    def on_start(self, ev: _event.Event) -> None:
        if _shown["compile"] or not compile_notice():
            return
        func = getattr((ev.data or {}).get("dispatcher"), "py_func", None)
        if not getattr(func, "__module__", "").startswith("parcs._kernels"):
            return
        _shown["compile"] = True
        why = "first run only" if CACHE else "numba's cache is off, so in every process"
        sys.stderr.write(f"parcs: compiling routing kernels, {why} (a few seconds)\n")
        sys.stderr.flush()

    def on_end(self, ev: _event.Event) -> None:
        pass


# numba.core.event.register is unannotated
_event.register("numba:compile", _CompileNotice())  # type: ignore[no-untyped-call]

#: Serial kernels: compiled on first call, cached on disk, release the GIL.
jit = numba.njit(cache=CACHE, nogil=True)

#: Parallel kernels (``numba.prange``); the thread count is set by the caller with
#: ``numba.set_num_threads``, never at import.
pjit = numba.njit(cache=CACHE, nogil=True, parallel=True)
