"""Time building the embedded network and loading it from the on-disk cache.

Run: ``python benchmarks/bench_network.py``. Targets (issue 2): build < 3 s, load < 0.5 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import fmt_s, median_time, write_section  # noqa: E402

import parcs  # noqa: E402
from parcs.network.territory import build_network, load_network  # noqa: E402


def main() -> None:
    parcs.places  # noqa: B018 - import geopandas & co. outside the timings
    build_network()  # warm the imports
    t_build = median_time(build_network, repeat=5)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PARCS_CACHE_DIR"] = tmp
        load_network()  # writes the cache
        t_load = median_time(load_network, repeat=7)
        # a fresh interpreter: import + load from cache, as `parcs info` does
        code = "import time; t=time.perf_counter(); import parcs; parcs.load_network(); print(time.perf_counter()-t)"
        fresh = sorted(
            float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                                 env={**os.environ, "PARCS_CACHE_DIR": tmp}).stdout)
            for _ in range(3)
        )[1]
    G = load_network()
    body = f"""## Embedded network: build and load

Graph: {G.number_of_nodes()} nodes, {G.number_of_edges()} directed edges.

| step | median | target | met |
|---|---|---|---|
| `build_network()` (read layers, node, snap, merge, connectors, places) | {fmt_s(t_build)} | < 3 s | {"yes" if t_build < 3 else "NO"} |
| `load_network()` from the cache (checksummed GeoPackage, warm process) | {fmt_s(t_load)} | < 0.5 s | {"yes" if t_load < 0.5 else "NO"} |
| fresh interpreter: `import parcs` + `load_network()` from cache | {fmt_s(fresh)} | — | — |
"""
    write_section("network", body)
    print(body)  # noqa: T201


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t0:.1f} s")  # noqa: T201
