"""Write one benchmark's section into ``benchmarks/RESULTS.md``.

Each benchmark script owns one section, delimited by HTML comments, and rewrites only that
section (atomically), so scripts can be run in any order. Every section carries the machine and
the library versions it was measured with.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\n"
    "Written by the scripts in `benchmarks/` (each rewrites its own section). "
    "Medians of repeated runs; ratios are peer time / parcs time unless stated.\n"
)


def machine() -> str:
    """Describe the machine and the versions of the libraries compared."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    libs = []
    for name in ("parcs", "numba", "numpy", "scipy", "networkx", "igraph", "networkit", "osmnx"):
        try:
            libs.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. Versions: {', '.join(libs)}. "
        f"Run {time.strftime('%Y-%m-%d %H:%M')}."
    )


def median_time(fn: Callable[[], object], *, repeat: int = 7, number: int = 1) -> float:
    """Median wall time of `fn` in seconds over `repeat` runs of `number` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def fmt_s(seconds: float) -> str:
    """Format a duration with a sensible unit."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def write_section(name: str, body: str) -> None:
    """Replace (or append) section `name` of RESULTS.md with `body` plus the machine line."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    block = f"<!-- begin:{name} -->\n{body.rstrip()}\n\n_{machine()}_\n<!-- end:{name} -->"
    pattern = re.compile(rf"<!-- begin:{re.escape(name)} -->.*?<!-- end:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    fd, tmp = tempfile.mkstemp(dir=RESULTS.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)  # mkstemp creates 0600 files
    os.replace(tmp, RESULTS)
