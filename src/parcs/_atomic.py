"""Atomic file writes: write a temporary file in the target folder, then rename it.

A crash or an error half-way leaves the previous file (or nothing) in place, never a
half-written one. The temporary file is ``.<name>.parcs-tmp-<random><suffixes>`` beside the
target; it is removed when the write fails, and temporary files left by a killed earlier write
to the same target (with their SQLite ``-journal``/``-wal``/``-shm`` companions) are removed
before the next write. An error names the target, not the temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["atomic_path", "write_bytes", "write_text"]

_TAG = ".parcs-tmp-"
_COMPANIONS = ("", "-journal", "-wal", "-shm")


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}{_TAG}"


def _remove_stale(target: Path) -> None:
    """Remove the temporary files an interrupted write to `target` left behind."""
    try:
        stale = list(target.parent.glob(f"{_tmp_prefix(target)}*"))
    except OSError:
        return
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()


def _as_target_error(err: OSError, target: Path) -> OSError:
    """The same error, naming the target file the user asked for."""
    code = err.errno if err.errno is not None else errno.EIO
    return OSError(code, err.strerror or str(err), str(target))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` if the block succeeds.

    The temporary name keeps the suffixes of `path`, so drivers that infer the format from the
    extension (GDAL/pyogrio) still work. On error the temporary file is removed.

    Raises
    ------
    OSError
        If the folder cannot be created or written, or `path` is a folder; its ``filename`` is
        `path`.
    """
    target = Path(path)
    if target.is_dir():
        raise OSError(errno.EISDIR, "is a folder, not a file", str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target)
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=_tmp_prefix(target), suffix="".join(target.suffixes) or ".tmp"
        )
    except OSError as err:
        raise _as_target_error(err, target) from err
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # let the writer create it (GDAL refuses to overwrite some formats)
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as err:
        raise _as_target_error(err, target) from err
    finally:
        for end in _COMPANIONS:
            with contextlib.suppress(OSError):
                Path(f"{tmp}{end}").unlink()


@contextlib.contextmanager
def atomic_gdal_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """:func:`atomic_path` for GDAL writers (GeoPackage, GeoJSON through pyogrio).

    A GDAL failure while writing (a full disk, an unwritable folder: GDAL reports them as
    ``pyogrio.errors`` such as "no such table: gpkg_contents") becomes an ``OSError`` naming
    `path`, like any other failed write; the temporary file is removed.

    Raises
    ------
    OSError
        As :func:`atomic_path`, and if GDAL fails to write the file.
    """
    import pyogrio.errors  # noqa: PLC0415 - only the writers need it

    gdal_errors = (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FeatureError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.CRSError,
    )
    with atomic_path(path) as tmp:
        try:
            yield tmp
        except gdal_errors as err:
            reason = " ".join(str(err).split())[:160]
            msg = f"the GDAL writer failed ({reason}); check the free space and the folder"
            raise OSError(errno.EIO, msg, str(path)) from err


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
