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
        assert (folder / "__pycache__" / _jit._STAMP).exists() or not _jit.os.access(folder, _jit.os.W_OK)
    assert _jit.clear_stale_cache(folder) is False  # already current in this process
