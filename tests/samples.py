"""Where the real OSM test samples are (``shared/data/osm_samples``, beside the repository).

Tests that need them use ``needs_osm_samples``: they skip when the folder is absent on a
developer's machine, but in CI (``$CI`` set) a missing folder fails the run instead of
skipping silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _find() -> Path:
    candidates = [Path(__file__).resolve().parents[2] / "shared" / "data" / "osm_samples"]
    if os.environ.get("PARCS_OSM_SAMPLES"):
        candidates.insert(0, Path(os.environ["PARCS_OSM_SAMPLES"]))
    candidates.append(Path("/work/shared/data/osm_samples"))
    return next((c for c in candidates if c.is_dir()), candidates[0])


OSM_SAMPLES = _find()
_MISSING = not (OSM_SAMPLES / "krems.osm.gz").is_file()
if _MISSING and os.environ.get("CI"):
    msg = f"CI run without the real OSM samples: {OSM_SAMPLES} is missing (see shared/data/PROVENANCE.md)"
    raise RuntimeError(msg)

needs_osm_samples = pytest.mark.skipif(
    _MISSING, reason=f"real OSM samples not found in {OSM_SAMPLES} (see shared/data/PROVENANCE.md)"
)
