"""The pure-Python twins of astar_multi / path_arcs return bit-identical results."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests import naive

from parcs._kernels.astar import astar_multi
from parcs._kernels.paths import path_arcs
from parcs._kernels.pyastar import astar_multi_py, path_arcs_py

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(deadline=None, derandomize=True, max_examples=150)


@SETTINGS
@given(g=naive.graphs(coords=True, max_nodes=30, max_arcs=80), data=st.data())
def test_python_twin_is_bit_identical_to_the_kernel(g, data):
    n = g["n"]
    node = st.integers(0, n - 1)
    sources = np.array(data.draw(st.lists(node, min_size=1, max_size=3)), dtype=np.int64)
    k = len(sources)
    offsets = np.array(
        data.draw(st.lists(st.sampled_from([0.0, 0.25, 7.0]), min_size=k, max_size=k))
    )
    targets = np.array(data.draw(st.lists(node, min_size=1, max_size=3)), dtype=np.int64)
    h = data.draw(st.sampled_from([0.0, 0.5, 1.0 - 1e-12]))
    args = (g["indptr"], g["indices"], g["weights"], g["x"], g["y"], sources, offsets, targets, h)
    d1, p1 = astar_multi(*args)
    d2, p2 = astar_multi_py(*args)
    assert np.array_equal(d1, d2)  # bit for bit, inf included
    assert np.array_equal(p1, p2)
    for t in targets.tolist():
        if math.isfinite(d1[t]):
            assert np.array_equal(path_arcs(p1, g["indptr"], t), path_arcs_py(p2, g["indptr"], t))
            # and the distance is right (independent reference)
            ref = naive.dijkstra(g["indptr"], g["indices"], g["weights"], sources, offsets)
            assert d1[t] == pytest.approx(ref[t], rel=1e-12)


def test_python_twin_checks_its_input():
    indptr, indices, _, w = naive.to_csr(2, [0], [1], [1.0])
    x = y = np.zeros(2)
    with pytest.raises(ValueError, match="out of range"):
        astar_multi_py(indptr, indices, w, x, y, np.array([3]), np.zeros(1), np.array([1]), 1.0)
    with pytest.raises(ValueError, match="differ in length"):
        astar_multi_py(indptr, indices, w, x, y, np.array([0]), np.zeros(2), np.array([1]), 1.0)


def test_one_route_on_a_small_graph_does_not_load_numba():
    """A route on a small graph in a fresh process runs without importing numba."""
    code = (
        "import sys\n"
        "from tests.conftest import make_tiny_graph\n"
        "import parcs\n"
        "r = parcs.route(make_tiny_graph(), 1, 6)\n"
        "assert r.nodes == [1, 2, 3, 6], r.nodes\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


def run_fresh(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return out.stdout.strip()


def test_python_budget_is_charged_per_search():
    """In a fresh process: searches run in Python until their graphs' arcs reach the budget;
    a graph larger than the budget, or a loaded kernel, means numba at once."""
    code = (
        "from parcs._kernels import pyastar as p\n"
        "third = p.PY_ARC_BUDGET // 3\n"
        "print([p.take_python(third) for _ in range(4)])\n"
    )
    assert run_fresh(code) == "[True, True, True, False]"
    code = (
        "from parcs._kernels import pyastar as p\n"
        "print(p.take_python(p.PY_ARC_BUDGET + 1), p.take_python(p.PY_ARC_BUDGET))\n"
    )
    assert run_fresh(code) == "False True"
    code = (
        "import numpy as np\n"
        "from parcs._kernels import pyastar as p\n"
        "from parcs._kernels.astar import astar_multi\n"
        "z, one = np.zeros(1, dtype=np.int64), np.zeros(1)\n"
        "astar_multi(np.zeros(2, dtype=np.int64), z[:0], one[:0], one, one, z, one, z, 1.0)\n"
        "print(p.take_python(1))\n"
    )
    assert run_fresh(code) == "False"


def test_a_long_process_loads_numba_once_the_budget_is_spent():
    """Routing again and again on the embedded network: Python first, then numba (once the
    budget is spent), with the same result every time."""
    code = (
        "import sys\n"
        "import parcs\n"
        "from parcs._kernels.pyastar import PY_ARC_BUDGET\n"
        "G = parcs.load_network()\n"
        "a, b = parcs.places(G).index[[0, -1]]\n"
        "runs = PY_ARC_BUDGET // G.number_of_edges() + 2\n"
        "seen = []\n"
        "for _ in range(runs):\n"
        "    seen.append((parcs.route(G, a, b).length_m, 'numba' in sys.modules))\n"
        "print(len({s[0] for s in seen}), seen[0][1], seen[-1][1])\n"
    )
    assert run_fresh(code) == "1 False True"
