"""The ``parcs`` logger. Library code logs; it never prints."""

from __future__ import annotations

import logging

logger = logging.getLogger("parcs")
logger.addHandler(logging.NullHandler())


def enable_console_logging(level: int = logging.INFO) -> None:
    """Send parcs log records to stderr at `level`."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s parcs %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
