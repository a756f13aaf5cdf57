"""The numba kernels must never use fastmath (distances start at inf)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import parcs._kernels

KERNELS = Path(parcs._kernels.__file__).parent


def test_no_fastmath_in_kernels():
    files = sorted(KERNELS.glob("*.py"))
    assert files, "no kernel sources found"
    offenders = [f.name for f in files if "fastmath" in f.read_text(encoding="utf-8")]
    assert offenders == []


def test_cache_env_var_turns_cache_off():
    code = "from parcs._kernels._jit import CACHE, jit; print(CACHE, jit.__name__)"
    out = {}
    for value in ("0", "1"):
        res = subprocess.run(
            [sys.executable, "-c", code],
            env={"PARCS_NUMBA_CACHE": value, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        )
        out[value] = res.stdout.split()[0]
    assert out == {"0": "False", "1": "True"}


def test_compiled_dispatchers_have_no_fastmath():
    import importlib

    import numba

    seen = 0
    for stem in ("dijkstra", "astar", "many", "paths", "components"):
        module = importlib.import_module(f"parcs._kernels.{stem}")
        for obj in vars(module).values():
            if isinstance(obj, numba.core.registry.CPUDispatcher):
                seen += 1
                assert not obj.targetoptions.get("fastmath", False), obj
    assert seen >= 5
