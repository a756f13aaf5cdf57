"""With NUMBA_DISABLE_JIT=1 (kernels as plain Python, e.g. for coverage) the kernels still run.

The prefetch intrinsic used to make the kernels fail without the JIT on graphs of at least
PREFETCH_MIN_ARCS arcs; the two tests that reach that branch run here in a subprocess without
the JIT, and a route is computed through the public API.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_prefetching_kernels_run_without_the_jit(tmp_path):
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PARCS_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "tests/kernels/test_paths.py::test_prefetch_is_only_a_hint",
            "tests/kernels/test_paths.py::test_kernels_that_prefetch_are_exact_on_a_large_graph",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout


def test_a_route_without_the_jit(tmp_path):
    code = (
        "import parcs; from tests.conftest import make_tiny_graph; "
        "print(parcs.route(make_tiny_graph(), 1, 6).nodes)"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PARCS_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1, 2, 3, 6]"
