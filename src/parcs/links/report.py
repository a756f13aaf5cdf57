"""The missing-links report a planner reads: Markdown, CSV and GeoPackage tables.

Every table names a link by the places at its ends (``from_place``, ``to_place``) and the
commune it lies in, never by internal node ids; counts are integers, lengths in m or km with
the unit in the header, shares in %. :func:`planner_table` and :func:`indicator_table` give
those tables as DataFrames (the CLI prints the same ones); :func:`write_report` writes them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from parcs._atomic import write_text

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "INDICATORS",
    "SOURCE_LABELS",
    "format_indicator",
    "indicator_table",
    "planner_table",
    "write_report",
]

#: What each candidate source means, in a planner's words.
SOURCE_LABELS = {
    "connector": "gap connector",
    "component": "gap between networks",
    "detour": "shortcut",
    "connection": "link over roads",
    "proposed": "proposed",
}

#: Indicators shown in reports: key, label, how to show the value.
INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("length_km", "network length", "km"),
    ("n_components", "components", "int"),
    ("largest_component_km", "largest component", "km"),
    ("largest_component_share", "largest component, share of length", "share"),
    ("n_pairs", "pairs measured", "int"),
    ("n_reachable_pairs", "pairs connected", "int"),
    ("directness", "directness (connected pairs)", "ratio"),
    ("directness_lcc", "directness (largest component)", "ratio"),
    ("global_efficiency", "global efficiency", "ratio"),
    ("global_efficiency_lcc", "global efficiency (largest component)", "ratio"),
    ("local_efficiency", "local efficiency", "ratio"),
    ("straightness", "mean straightness", "ratio"),
    ("coverage_km2", "area within the buffer", "km2"),
    ("places_covered_share", "places within the buffer", "share"),
    ("share_500m", "residents within 500 m", "share"),
    ("share_1km", "residents within 1 km", "share"),
    ("parks_5km_mean", "parks within 5 km of a settlement (mean)", "mean"),
    ("parks_10km_mean", "parks within 10 km of a settlement (mean)", "mean"),
)
_STYLE = dict((k, s) for k, _, s in INDICATORS)
_LABEL = dict((k, lab) for k, lab, _ in INDICATORS)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def format_indicator(key: str, value: Any) -> str:
    """Show an indicator value with its unit (``"509.8 km"``, ``"37 %"``, ``"102"``)."""
    if not _finite(value):
        return "—"
    style = _STYLE.get(key, "ratio")
    if style == "km":
        return f"{value:,.1f} km"
    if style == "int":
        return f"{round(value):,d}"
    if style == "share":
        return f"{100 * value:.1f} %"
    if style == "km2":
        return f"{value:,.1f} km²"
    if style == "mean":
        return f"{value:.1f}"
    return f"{value:.3f}"


def indicator_table(columns: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The shown indicators, one row each (``indicator`` label), one column per state."""
    rows = []
    for key, label, _ in INDICATORS:
        if not any(key in col for col in columns.values()):
            continue
        rows.append(
            {
                "indicator": label,
                **{name: format_indicator(key, col.get(key)) for name, col in columns.items()},
            }
        )
    return pd.DataFrame(rows)


def _int(values: Any) -> list[Any]:
    return [round(v) if _finite(v) else None for v in values]


def planner_table(links: pd.DataFrame, *, kind: str = "candidates") -> pd.DataFrame:
    """A candidates, plan or proposals table with readable columns, units and integers.

    Parameters
    ----------
    links
        Output of :func:`parcs.missing_links` (`kind` ``"candidates"``),
        :func:`parcs.plan_links` (``"plan"``) or ``evaluate_links(...).links``
        (``"proposed"``).
    kind
        {"candidates", "plan", "proposed"}.

    Returns
    -------
    pandas.DataFrame
        No node ids; lengths in whole metres, benefits in weighted km (1 decimal), counts
        as integers.
    """
    df = pd.DataFrame(links)
    out = pd.DataFrame()
    if kind == "proposed":
        out["order"] = df["order"].astype(int).to_numpy()
        out["name"] = df["name"].to_numpy()
    else:
        out["step" if kind == "plan" else "rank"] = df["rank"].astype(int).to_numpy()
    out["from"] = df["from_place"].to_numpy()
    out["to"] = df["to_place"].to_numpy()
    out["commune"] = df["commune"].to_numpy()
    if "source" in df:
        out["type"] = [SOURCE_LABELS.get(s, str(s)) for s in df["source"]]
    length = df["est_length_m"] if "est_length_m" in df else df["length_m"]
    out["length (m)"] = _int(length)
    if kind == "proposed":
        out["benefit alone (weighted km)"] = df["benefit_alone"].round(1).to_numpy()
        out["benefit built last (weighted km)"] = df["benefit_last"].round(1).to_numpy()
        out["benefit at its step (weighted km)"] = df["benefit_in_order"].round(1).to_numpy()
        out["trips newly possible alone"] = _int(df["trips_new_alone"])
        out["cumulative length (km)"] = df["cumulative_km"].round(2).to_numpy()
        return out.sort_values("order", kind="stable").reset_index(drop=True)
    out["benefit (weighted km)"] = df["benefit"].round(1).to_numpy()
    out["benefit per km"] = df["benefit_per_km"].round(1).to_numpy()
    out["trips newly possible"] = _int(df["trips_new"])
    if kind == "plan":
        out["cumulative length (km)"] = df["cumulative_km"].round(2).to_numpy()
        out["cumulative benefit (weighted km)"] = df["cumulative_benefit"].round(1).to_numpy()
    return out


def _md_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = []
        for val in row:
            if isinstance(val, float):
                cells.append(f"{val:,.1f}" if math.isfinite(val) else "—")
            elif isinstance(val, int) and not isinstance(val, bool):
                cells.append(f"{val:,d}")
            elif val is None or (isinstance(val, str) and not val):
                cells.append("—")
            else:
                cells.append(str(val).replace("|", "/"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _geo(table: pd.DataFrame, links: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    safe = table.copy()
    safe.columns = [
        str(c).replace(" ", "_").replace("(", "").replace(")", "") for c in safe.columns
    ]
    return gpd.GeoDataFrame(safe, geometry=list(links.geometry.to_numpy()), crs=links.crs)


def write_report(
    candidates: gpd.GeoDataFrame | None,
    out_dir: str | Path,
    *,
    plan: gpd.GeoDataFrame | None = None,
    metrics_table: pd.DataFrame | None = None,
    evaluation: Any = None,
    top: int = 20,
) -> dict[str, Path]:
    """Write the missing-links report (Markdown, CSV, GeoPackage) into `out_dir`, atomically.

    Parameters
    ----------
    candidates
        Output of :func:`parcs.missing_links` (may be empty), or None for a report of
        proposed links only.
    out_dir
        Folder to write into (created if needed).
    plan
        Output of :func:`parcs.plan_links`: ``plan.csv``, a Markdown section, a layer.
    metrics_table
        Output of :func:`parcs.metrics_table`: ``metrics.csv`` (every indicator, raw) and a
        Markdown section (before and after the plan, with units).
    evaluation
        Output of :func:`parcs.evaluate_links`: ``proposed.csv``, a Markdown section, a layer.
    top
        Number of candidates shown in the Markdown table (the CSV has them all).

    Returns
    -------
    dict
        File kind (``"candidates_csv"`` (with `candidates`), ``"plan_csv"``, ``"metrics_csv"``,
        ``"proposed_csv"``, ``"geopackage"`` (layers ``candidates``, ``plan``, ``proposed``;
        not written when every table is empty), ``"markdown"``) → path written.
    """
    out = Path(out_dir)
    written: dict[str, Path] = {}
    layers: dict[str, gpd.GeoDataFrame] = {}
    parts = ["# Missing links\n"]
    if candidates is not None:
        table = planner_table(candidates)
        csv = table.assign(wkt=candidates.geometry.to_wkt().to_numpy())
        written["candidates_csv"] = write_text(out / "missing_links.csv", csv.to_csv(index=False))
        layers["candidates"] = _geo(table, candidates)
        parts += [
            f"{len(candidates)} candidate links; benefit in weighted km of park trips saved "
            "(see docs/missing-links.md).\n",
            _md_table(table.head(top)),
        ]
    if plan is not None:
        ptable = planner_table(plan, kind="plan")
        csv = ptable.assign(wkt=plan.geometry.to_wkt().to_numpy())
        written["plan_csv"] = write_text(out / "plan.csv", csv.to_csv(index=False))
        layers["plan"] = _geo(ptable, plan)
        parts += ["\n## Greedy plan\n", _md_table(ptable)]
    if metrics_table is not None:
        written["metrics_csv"] = write_text(out / "metrics.csv", metrics_table.to_csv())
        cols = {"before": metrics_table.iloc[:, 0].to_dict()}
        if metrics_table.shape[1] > 1:
            cols["after the plan"] = metrics_table.iloc[:, -1].to_dict()
        parts += ["\n## Indicators before and after the plan\n", _md_table(indicator_table(cols))]
    if evaluation is not None:
        etable = planner_table(evaluation.links, kind="proposed")
        ordered = evaluation.links.sort_values("order", kind="stable")
        csv = etable.assign(wkt=ordered.geometry.to_wkt().to_numpy())
        written["proposed_csv"] = write_text(out / "proposed.csv", csv.to_csv(index=False))
        layers["proposed"] = _geo(etable, ordered)
        cols = {
            "before": evaluation.before.to_dict(),
            "with the scheme": evaluation.after.to_dict(),
        }
        parts += [
            "\n## Proposed links\n",
            _md_table(etable),
            "\n### Indicators before and with the scheme\n",
            _md_table(indicator_table(cols)),
        ]
    if any(len(g) for g in layers.values()):
        from parcs.io import save_layers

        written["geopackage"] = save_layers(layers, out / "missing_links.gpkg", driver="gpkg")[0]
    written["markdown"] = write_text(out / "missing_links.md", "\n".join(parts) + "\n")
    return written
