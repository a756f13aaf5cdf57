"""The ``parcs`` program (``cli.main()`` without argv) against ``main(argv)`` in a process.

The program keeps its graph to the exit and freezes it for the garbage collector; a call
with `argv` (tests, scripts) leaves the collector as it was. A warm one-shot route runs the
Python A* and never imports numba.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from parcs.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_program_routes_without_numba_and_freezes_its_graph():
    code = (
        "import gc, sys\n"
        "sys.argv = ['parcs', 'route', 'Lens', 'Béthune']\n"
        "from parcs.cli import main\n"
        "code = main()\n"
        "print(code, 'numba' in sys.modules, gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("Lens → Béthune: ")
    assert lines[-1] == "0 False True"


def test_main_with_argv_leaves_the_collector_alone(capsys):
    before = gc.get_freeze_count()
    assert main(["route", "Lens", "Béthune"]) == 0
    assert capsys.readouterr().out.startswith("Lens → Béthune: ")
    assert gc.get_freeze_count() == before
    assert gc.isenabled()
