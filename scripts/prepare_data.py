"""Copy the embedded layers from ``../shared/data`` into ``data/``.

Run from the repository root: ``python scripts/prepare_data.py [SHARED_DATA_DIR]``.
Only ``pma_espaces_neonaturels.geojson`` is derived here (the listed and buffer-zone espaces
néo-naturels that touch the three EPCIs, concatenated); the other files are copied verbatim.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
out = Path("data")
out.mkdir(exist_ok=True)
pma = shared / "pole_metropolitain_artois"
for name in (
    "pma_cavaliers_zone_tampon_lines.geojson",
    "pma_eurovelo5_osm_2022.geojson",
    "pma_terrils.geojson",
    "pma_communes.geojson",
    "pma_epci_perimetre.geojson",
):
    shutil.copyfile(pma / name, out / name)

epci = gpd.read_file(pma / "pma_epci_perimetre.geojson")
frames = []
for fname, layer in (
    ("espace-neonaturel.geojson", "UNESCO bien inscrit"),
    ("zt-espaces-neonaturels.geojson", "zone tampon"),
):
    g = gpd.read_file(shared / "bassin_minier_unesco" / fname)
    g = g[g.intersects(epci.union_all())].copy()
    g["source_layer"] = layer
    frames.append(g[["nom", "commune_1", "commune_2", "source_layer", "geometry"]])
esp = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
esp.to_file(out / "pma_espaces_neonaturels.geojson", driver="GeoJSON")
print(esp[["nom", "source_layer"]].to_string())  # noqa: T201
