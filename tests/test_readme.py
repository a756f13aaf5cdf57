"""The README's Python example runs as written (files go to a temporary folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has a Python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)  # noqa: S102
    assert (tmp_path / "lawe-calonnix.gpx").stat().st_size > 0
    assert (tmp_path / "map.html").stat().st_size > 0
    r = namespace["r"]
    assert r.length_m > 0  # type: ignore[attr-defined]
    assert os.listdir(tmp_path)
