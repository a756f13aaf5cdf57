"""The missing-links report: CSV and Markdown tables of candidates, plan and indicators."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from parcs._atomic import write_text

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["write_report"]


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = []
        for val in row:
            if isinstance(val, float):
                cells.append(f"{val:,.1f}" if math.isfinite(val) else "∞")
            else:
                cells.append(str(val))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    candidates: gpd.GeoDataFrame,
    out_dir: str | Path,
    *,
    plan: gpd.GeoDataFrame | None = None,
    metrics_table: pd.DataFrame | None = None,
    top: int = 20,
) -> dict[str, Path]:
    """Write the missing-links report (CSV + Markdown) into `out_dir`, atomically.

    Parameters
    ----------
    candidates
        Output of :func:`missing_links`.
    out_dir
        Folder to write into (created if needed).
    plan
        Output of :func:`plan_links`, written as ``plan.csv`` and a Markdown section.
    metrics_table
        Output of :func:`parcs.indicators.metrics_table`, written as a Markdown section and
        ``metrics.csv``.
    top
        Number of candidates shown in the Markdown table (the CSV has them all).

    Returns
    -------
    dict
        File kind (``"candidates_csv"``, ``"plan_csv"``, ``"metrics_csv"``, ``"markdown"``)
        → path written.
    """
    out = Path(out_dir)
    written: dict[str, Path] = {}
    table = pd.DataFrame(candidates.drop(columns="geometry"))
    table["wkt"] = candidates.geometry.to_wkt()
    written["candidates_csv"] = write_text(out / "missing_links.csv", table.to_csv(index=False))
    show = [
        "rank",
        "u",
        "v",
        "source",
        "straight_m",
        "est_length_m",
        "benefit",
        "benefit_per_km",
        "trips_new",
    ]
    show += [c for c in ("commune",) if c in candidates.columns]
    parts = [
        "# Missing links\n",
        f"{len(candidates)} candidate links; benefit in weighted km (see docs/missing-links.md).\n",
        _md_table(pd.DataFrame(candidates[show].head(top))),
    ]
    if plan is not None:
        ptable = pd.DataFrame(plan.drop(columns="geometry"))
        ptable["wkt"] = plan.geometry.to_wkt()
        written["plan_csv"] = write_text(out / "plan.csv", ptable.to_csv(index=False))
        pshow = [
            "rank",
            "u",
            "v",
            "length_m",
            "benefit",
            "trips_new",
            "cumulative_km",
            "cumulative_benefit",
        ]
        parts += ["\n## Greedy plan\n", _md_table(pd.DataFrame(plan[pshow]))]
    if metrics_table is not None:
        written["metrics_csv"] = write_text(out / "metrics.csv", metrics_table.to_csv())
        mt = metrics_table.reset_index().rename(columns={"index": "indicator"})
        parts += ["\n## Indicators before and after each step\n", _md_table(mt)]
    written["markdown"] = write_text(out / "missing_links.md", "\n".join(parts) + "\n")
    return written

