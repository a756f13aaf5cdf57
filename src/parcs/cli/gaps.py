"""``parcs gaps``: rank the missing links, plan what to build, or evaluate proposed links."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from parcs.cli._common import echo, load_graph, output_folder, print_json

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

_NAME_WIDTH = 26


def register(sub: Any) -> None:
    """Add the ``gaps`` subcommand."""
    p = sub.add_parser(
        "gaps",
        help="rank the missing links (gaps), plan which to build, or evaluate proposed links",
        description=(
            "Find candidate links on the greenway network, score each one exactly "
            "(weighted km of capped park trips saved), plan greedily within a budget and "
            "compare the network indicators before and after; or, with --proposed, evaluate "
            "a layer of proposed links. See docs/missing-links.md."
        ),
    )
    p.add_argument("--top", type=int, default=10, help="number of candidates to show (10)")
    p.add_argument(
        "--budget-km", type=float, default=10.0, help="km of new links the plan may build (10)"
    )
    p.add_argument(
        "--by",
        choices=("benefit", "benefit_per_km"),
        default="benefit",
        help="greedy criterion of the plan and of the build order (benefit)",
    )
    p.add_argument("--cap-km", type=float, default=15.0, help="trip length cap in km (15)")
    p.add_argument(
        "--greenway",
        metavar="KINDS",
        help="edge kinds of the greenway network, comma-separated ('routes' for cycle-route "
        "members, 'all' for every built edge); default cavalier,towpath,cycleway,eurovelo,routes",
    )
    p.add_argument(
        "--proposed",
        metavar="FILE",
        help="evaluate this line layer of proposed links (GeoPackage, GeoJSON, Shapefile; any "
        "CRS) instead of searching for candidates",
    )
    p.add_argument("--proposed-layer", metavar="NAME", help="the layer of --proposed to read")
    p.add_argument(
        "--snap-m", type=float, default=50.0, help="with --proposed: snapping distance in m (50)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument(
        "--out",
        help="folder for the report: missing_links.md/.csv/.gpkg, plan.csv, metrics.csv, "
        "proposed.csv",
    )
    p.set_defaults(func=run)


def _clean(value: Any) -> Any:
    """JSON-safe scalar (inf/nan -> None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _records(gdf: Any, columns: list[str]) -> list[dict[str, Any]]:
    out = []
    wgs = gdf.to_crs(4326) if len(gdf) else gdf
    for (_, row), geom in zip(gdf[columns].iterrows(), wgs.geometry, strict=True):
        rec = {k: _clean(v) for k, v in row.items()}
        rec["lonlat"] = (
            [[round(x, 6), round(y, 6)] for x, y in geom.coords]
            if geom.geom_type == "LineString"
            else [[[round(x, 6), round(y, 6)] for x, y in part.coords] for part in geom.geoms]
        )
        out.append(rec)
    return out


def _greenway(text: str | None) -> Any:
    if text is None:
        return None
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    return kinds[0] if kinds == ["all"] else kinds


def _short(text: Any, width: int = _NAME_WIDTH) -> str:
    s = str(text) if text else "—"
    return s if len(s) <= width else s[: width - 1] + "…"


def run(args: argparse.Namespace) -> int:
    """Rank, plan, measure and report (or evaluate the proposed links)."""
    from parcs.errors import ValidationError

    if args.top < 1:
        msg = f"`--top` must be >= 1, got {args.top!r}"
        raise ValidationError(msg)
    if args.out:
        output_folder(args.out, flag="--out")
    G = load_graph(args)
    if args.proposed:
        return _run_proposed(args, G)
    return _run_gaps(args, G)


def _run_gaps(args: argparse.Namespace, G: Any) -> int:
    from parcs.links import metrics_table, missing_links, plan_links, write_report

    cap_m = float(args.cap_km) * 1000.0
    greenway = _greenway(args.greenway)
    cands = missing_links(G, cap_m=cap_m, greenway=greenway)
    plan = plan_links(
        G, budget_km=args.budget_km, candidates=cands, by=args.by, cap_m=cap_m, greenway=greenway
    )
    table = metrics_table(G, plan, greenway=greenway)
    before = {k: _clean(v) for k, v in table["before"].items()}
    after = {k: _clean(v) for k, v in table.iloc[:, -1].items()}
    files: dict[str, Path] = {}
    if args.out:
        files = write_report(cands, args.out, plan=plan, metrics_table=table, top=args.top)
    if args.json:
        ccols = [
            "rank",
            "id",
            "u",
            "v",
            "source",
            "from_place",
            "to_place",
            "commune",
            "straight_m",
            "est_length_m",
            "network_m",
            "benefit",
            "benefit_per_km",
            "trips_new",
        ]
        pcols = [
            "rank",
            "id",
            "u",
            "v",
            "source",
            "from_place",
            "to_place",
            "commune",
            "straight_m",
            "length_m",
            "benefit",
            "benefit_per_km",
            "trips_new",
            "cumulative_km",
            "cumulative_benefit",
        ]
        print_json(
            {
                "n_candidates": len(cands),
                "greenway": cands.attrs.get("greenway"),
                "params": {
                    "cap_m": cap_m,
                    "budget_km": args.budget_km,
                    "by": args.by,
                    **{
                        k: cands.attrs.get(k)
                        for k in ("max_gap_m", "detour_factor", "max_connection_m", "min_detour")
                    },
                },
                "candidates": _records(cands.head(args.top), ccols),
                "plan": _records(plan, pcols),
                "objective_before": plan.attrs.get("objective_before"),
                "objective_after": plan.attrs.get("objective_after"),
                "metrics_before": before,
                "metrics_after": after,
                "files": {k: str(v) for k, v in files.items()},
            }
        )
        return 0
    _print_candidates(cands, args.top)
    _print_plan(plan, args.budget_km)
    _print_indicators({"before": before, "after": after})
    for kind, path in files.items():
        echo(f"wrote {kind}: {path}")
    return 0


def _print_candidates(cands: Any, top: int) -> None:
    from parcs.links.report import planner_table

    echo(
        f"{len(cands)} candidate links on the greenway network "
        f"({cands.attrs.get('greenway', '')}); benefit = weighted km of capped park trips saved"
    )
    w = _NAME_WIDTH
    echo(
        f"{'rank':>4}  {'from':<{w}} {'to':<{w}} {'commune':<20} {'type':<20} "
        f"{'length':>8} {'benefit':>10} {'trips new':>10}"
    )
    for r in planner_table(cands.head(top)).itertuples(index=False):
        echo(
            f"{r[0]:>4}  {_short(r[1]):<{w}} {_short(r[2]):<{w}} {_short(r[3], 20):<20} {r[4]:<20} "
            f"{_num(r[5])} m {r[6]:>10,.0f} {_num(r[8], 10)}"
        )
    echo()


def _num(value: Any, width: int = 6) -> str:
    return f"{value:>{width},d}" if isinstance(value, int) else f"{'—':>{width}}"


def _print_plan(plan: Any, budget_km: float) -> None:
    from parcs.links.report import planner_table

    echo(f"greedy plan within {budget_km:g} km ({len(plan)} links):")
    w = _NAME_WIDTH
    for r in planner_table(plan, kind="plan").itertuples(index=False):
        echo(
            f"{r[0]:>4}  {_short(r[1]):<{w}} {_short(r[2]):<{w}} {_short(r[3], 20):<20} "
            f"{_num(r[5])} m  +{r[6]:>9,.0f}  total {r[9]:6.2f} km {r[10]:>10,.0f}"
        )
    echo()


def _print_indicators(columns: dict[str, dict[str, Any]]) -> None:
    from parcs.links.report import indicator_table

    table = indicator_table(columns)
    names = list(columns)
    echo(f"{'indicator':<44} " + " ".join(f"{n:>16}" for n in names))
    for row in table.itertuples(index=False):
        echo(f"{row[0]:<44} " + " ".join(f"{v:>16}" for v in row[1:]))


def _run_proposed(args: argparse.Namespace, G: Any) -> int:
    from parcs.links import evaluate_links, write_report
    from parcs.links.report import planner_table

    ev = evaluate_links(
        G,
        args.proposed,
        layer=args.proposed_layer,
        greenway=_greenway(args.greenway),
        snap_m=args.snap_m,
        by=args.by,
        cap_m=float(args.cap_km) * 1000.0,
    )
    before = {k: _clean(v) for k, v in ev.before.to_dict().items()}
    after = {k: _clean(v) for k, v in ev.after.to_dict().items()}
    files: dict[str, Path] = {}
    if args.out:
        files = write_report(None, args.out, evaluation=ev)
    if args.json:
        cols = [
            "feature",
            "name",
            "from_place",
            "to_place",
            "commune",
            "length_m",
            "benefit_alone",
            "trips_new_alone",
            "benefit_last",
            "order",
            "benefit_in_order",
            "cumulative_km",
            "cumulative_benefit",
        ]
        print_json(
            {
                "n_proposed": len(ev.links),
                "proposed": _records(ev.links, cols),
                "build_order": ev.links.sort_values("order")["feature"].tolist(),
                "objective_before": ev.objective_before,
                "objective_after": ev.objective_after,
                "metrics_before": before,
                "metrics_after": after,
                "files": {k: str(v) for k, v in files.items()},
            }
        )
        return 0
    km = float(ev.links["length_m"].sum()) / 1000.0
    echo(
        f"{len(ev.links)} proposed links, {km:.2f} km; benefit "
        f"{ev.objective_before - ev.objective_after:,.0f} weighted km of capped park trips saved "
        "by the whole scheme"
    )
    w = _NAME_WIDTH
    echo(
        f"{'step':>4}  {'name':<20} {'from':<{w}} {'to':<{w}} {'length':>8} "
        f"{'alone':>9} {'last':>9} {'at step':>9}"
    )
    for r in planner_table(ev.links, kind="proposed").itertuples(index=False):
        echo(
            f"{r[0]:>4}  {_short(r[1], 20):<20} {_short(r[2]):<{w}} {_short(r[3]):<{w}} "
            f"{_num(r[5])} m {r[6]:>9,.0f} {r[7]:>9,.0f} {r[8]:>9,.0f}"
        )
    echo()
    _print_indicators({"before": before, "with the scheme": after})
    for kind, path in files.items():
        echo(f"wrote {kind}: {path}")
    return 0
