"""The public API: every name of ``parcs.__all__`` resolves, and nothing heavy loads on import."""

from __future__ import annotations

import subprocess
import sys
import types

import parcs


def test_all_lists_exactly_the_lazy_names_and_submodules():
    lazy = set(vars(parcs)["_LAZY"]) | set(vars(parcs)["_SUBMODULES"])
    assert set(parcs.__all__) == lazy | {"__version__", "errors"}
    assert len(parcs.__all__) == len(set(parcs.__all__))


def test_every_public_name_resolves_to_what_its_module_defines():
    for name in parcs.__all__:
        value = getattr(parcs, name)
        if isinstance(value, types.ModuleType):
            assert value.__name__.startswith("parcs"), name
        elif name != "__version__":
            assert getattr(value, "__module__", "parcs").startswith("parcs"), name


def test_import_parcs_loads_no_heavy_library():
    code = (
        "import sys, parcs; "
        "print(','.join(m for m in ('numba', 'geopandas', 'osmnx', 'folium', 'shapely', 'networkx')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
