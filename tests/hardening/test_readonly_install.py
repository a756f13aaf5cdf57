"""parcs installed read-only, with an unwritable HOME, still routes (one warning at most).

``pip install --target`` puts parcs in a folder that is then mounted read-only (a user and
mount namespace: ``unshare -r -m``, so even root cannot write there), HOME points into it, and
no PARCS_CACHE_DIR is set: numba cannot cache next to the kernels and the network cache cannot
be written. ``parcs route`` must still answer, the same as from a writable install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-r", "-m", "true"], capture_output=True, check=False, timeout=30
    )
    return probe.returncode == 0


needs_unshare = pytest.mark.skipif(
    not _unshare_works(), reason="user and mount namespaces (unshare -r -m) are not available"
)


@needs_unshare
@pytest.mark.slow
def test_route_from_a_read_only_install(tmp_path):
    site = tmp_path / "ro" / "site"
    home = tmp_path / "ro" / "home"
    home.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    ro = tmp_path / "ro"
    script = (
        f"mount --bind {ro} {ro} && mount -o remount,bind,ro {ro} && "
        f"! touch {ro}/probe 2>/dev/null && "
        f"{sys.executable} -m parcs route Lens Béthune --json && "
        # a route on the small embedded network runs in plain Python (no numba); a round
        # trip runs the numba kernels, which must then be cached outside the install
        f"{sys.executable} -m parcs loop Lens --km 10 --n 1"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARCS_", "NUMBA_", "XDG_"))}
    env.update(HOME=str(home), PYTHONPATH=str(site), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    for _ in range(2):  # the second run finds the compiled kernels in the temporary folder
        done = subprocess.run(
            ["unshare", "-r", "-m", "sh", "-c", script],
            capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert '"from": "Lens"' in done.stdout
        assert "Traceback" not in done.stderr
    assert '"to": "Béthune"' in done.stdout
    # numba cached its kernels in the temporary folder, not in the read-only install
    assert list((tmp_path / "tmp").glob("parcs-*/numba-*/*/*.nbi"))
    assert not list(site.rglob("*.nbi"))
