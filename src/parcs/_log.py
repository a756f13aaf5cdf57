"""The ``parcs`` logger. Library code logs; it never prints.

One exception: the one-line notice on stderr when numba must compile the kernels
(``parcs._kernels._jit``), switched here so that the CLI's ``--quiet`` can turn it off
without importing numba. ``PARCS_COMPILE_NOTICE=0`` turns it off too.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("parcs")
logger.addHandler(logging.NullHandler())

_OFF = {"0", "false", "no", "off"}
_notices = {"compile": os.environ.get("PARCS_COMPILE_NOTICE", "1").strip().lower() not in _OFF}


def compile_notice() -> bool:
    """Tell whether the "compiling routing kernels" notice is on."""
    return _notices["compile"]


def set_compile_notice(enabled: bool) -> bool:  # noqa: FBT001
    """Turn the "compiling routing kernels" notice on stderr on or off; return the old state."""
    old = _notices["compile"]
    _notices["compile"] = bool(enabled)
    return old


def enable_console_logging(level: int = logging.INFO) -> None:
    """Send parcs log records to stderr at `level`."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s parcs %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
