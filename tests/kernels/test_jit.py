"""The stale-cache guard of ``parcs._kernels._jit`` (on a throw-away folder, not the package)."""

from __future__ import annotations

from parcs._kernels import _jit


def test_cache_cleared_only_when_a_kernel_source_changes(tmp_path):
    (tmp_path / "heap.py").write_text("x = 1\n")
    (tmp_path / "many.py").write_text("y = 2\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    pyc = cache / "heap.cpython-311.pyc"
    pyc.write_bytes(b"bytecode")
    stale = [cache / "many.run-1.py311.nbi", cache / "many.run-1.py311.1.nbc"]
    for f in stale:
        f.write_bytes(b"old machine code")
    assert _jit.clear_stale_cache(tmp_path) is True  # first run: no stamp yet
    assert not any(f.exists() for f in stale)
    for f in stale:
        f.write_bytes(b"fresh machine code")
    assert _jit.clear_stale_cache(tmp_path) is False  # nothing changed: cache kept
    assert all(f.exists() for f in stale)
    (tmp_path / "heap.py").write_text("x = 3\n")  # a kernel that many.py calls changed
    assert _jit.clear_stale_cache(tmp_path) is True
    assert not any(f.exists() for f in stale)
    assert pyc.exists()  # only numba's files are cleared


def test_package_cache_is_stamped():
    folder = _jit.Path(_jit.__file__).parent
    if _jit.CACHE:
        assert (folder / "__pycache__" / _jit._STAMP).exists() or not _jit.os.access(
            folder, _jit.os.W_OK
        )
    assert _jit.clear_stale_cache(folder) is False  # already current in this process


def _run_kernel(env):
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from parcs._kernels.dijkstra import check_nodes\n"
        "check_nodes(np.zeros(1, dtype=np.int64), 2)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stderr


def test_compile_notice_once_and_only_when_compiling(tmp_path):
    """A cache miss writes one stderr line; a cache hit and PARCS_COMPILE_NOTICE=0 write none."""
    env = dict(_jit.os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    env.pop("PARCS_COMPILE_NOTICE", None)
    first = _run_kernel(env).splitlines()
    assert len(first) == 1
    assert first[0].startswith("parcs: compiling routing kernels, first run only")
    assert _run_kernel(env) == ""  # loaded from numba's cache: silent
    quiet = dict(env, NUMBA_CACHE_DIR=str(tmp_path / "other"), PARCS_COMPILE_NOTICE="0")
    assert _run_kernel(quiet) == ""


def test_cli_quiet_turns_the_notice_off_while_it_runs(monkeypatch):
    from parcs import _log
    from parcs.cli import main
    from parcs.cli import route as cli_route

    seen = []
    monkeypatch.setattr(
        cli_route, "run_route", lambda _args: seen.append(_log.compile_notice()) or 0
    )
    before = _log.compile_notice()
    assert main(["-q", "route", "A", "B"]) == 0
    assert main(["route", "A", "B"]) == 0
    assert seen == [False, before]
    assert _log.compile_notice() == before  # restored after each run
