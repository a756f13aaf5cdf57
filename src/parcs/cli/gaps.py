"""``parcs gaps``: rank the missing links of the embedded network and plan what to build."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from parcs.cli._common import echo, load_graph, print_json

if TYPE_CHECKING:
    import argparse
    from pathlib import Path


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``gaps`` subcommand."""
    p = sub.add_parser(
        "gaps",
        help="rank the missing links (gaps) and plan which to build within a budget",
        description=(
            "Find candidate links on the built greenway network, score each one exactly "
            "(weighted km of capped park trips saved), plan greedily within a budget and "
            "compare the network indicators before and after. See docs/missing-links.md."
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
        help="greedy criterion of the plan (benefit)",
    )
    p.add_argument("--cap-km", type=float, default=15.0, help="trip length cap in km (15)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument(
        "--out", help="folder for the report: missing_links.csv/.md, plan.csv, metrics.csv"
    )
    p.set_defaults(func=run)


def _clean(value: Any) -> Any:  # noqa: ANN401
    """JSON-safe scalar (inf/nan -> None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _records(gdf: Any, columns: list[str]) -> list[dict[str, Any]]:  # noqa: ANN401
    out = []
    wgs = gdf.to_crs(4326) if len(gdf) else gdf
    for (_, row), geom in zip(gdf[columns].iterrows(), wgs.geometry, strict=True):
        rec = {k: _clean(v) for k, v in row.items()}
        rec["lonlat"] = [[round(x, 6), round(y, 6)] for x, y in geom.coords]
        out.append(rec)
    return out


def run(args: argparse.Namespace) -> int:
    """Rank, plan, measure and report."""
    from parcs.errors import ValidationError  # noqa: PLC0415
    from parcs.links import missing_links, plan_links, write_report  # noqa: PLC0415
    from parcs.links import metrics_table  # noqa: PLC0415

    if args.top < 1:
        msg = f"`--top` must be >= 1, got {args.top!r}"
        raise ValidationError(msg)
    cap_m = float(args.cap_km) * 1000.0
    G = load_graph(args)
    cands = missing_links(G, cap_m=cap_m)
    plan = plan_links(G, budget_km=args.budget_km, candidates=cands, by=args.by, cap_m=cap_m)
    table = metrics_table(G, plan)
    before = {k: _clean(v) for k, v in table["before"].items()}
    after = {k: _clean(v) for k, v in table.iloc[:, -1].items()}
    ccols = [
        "rank",
        "id",
        "u",
        "v",
        "source",
        "straight_m",
        "est_length_m",
        "network_m",
        "benefit",
        "benefit_per_km",
        "trips_new",
        "commune",
    ]
    pcols = [
        "rank",
        "id",
        "u",
        "v",
        "source",
        "straight_m",
        "length_m",
        "benefit",
        "benefit_per_km",
        "trips_new",
        "cumulative_km",
        "cumulative_benefit",
    ]
    files: dict[str, Path] = {}
    if args.out:
        files = write_report(cands, args.out, plan=plan, metrics_table=table, top=args.top)
    if args.json:
        print_json(
            {
                "n_candidates": len(cands),
                "params": {
                    "cap_m": cap_m,
                    "budget_km": args.budget_km,
                    "by": args.by,
                    "max_gap_m": cands.attrs.get("max_gap_m"),
                    "detour_factor": cands.attrs.get("detour_factor"),
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
    echo(f"{len(cands)} candidate links (benefit = weighted km of capped park trips saved)")
    echo(
        f"{'rank':>4} {'u':>6} {'v':>6} {'source':<10} {'length m':>9} {'benefit':>10} "
        f"{'trips new':>10}  commune"
    )
    for r in cands.head(args.top).itertuples():
        echo(
            f"{r.rank:>4} {r.u:>6} {r.v:>6} {r.source:<10} {r.est_length_m:>9.0f} "
            f"{r.benefit:>10.0f} {r.trips_new:>10.0f}  {r.commune}"
        )
    echo()
    echo(f"greedy plan within {args.budget_km:g} km ({len(plan)} links):")
    for r in plan.itertuples():
        echo(
            f"{r.rank:>4} {r.u:>6} {r.v:>6} {r.length_m:>7.0f} m  +{r.benefit:>9.0f}  "
            f"total {r.cumulative_km:6.2f} km {r.cumulative_benefit:>10.0f}"
        )
    echo()
    echo(f"{'indicator':<26} {'before':>12} {'after':>12}")
    for key, b in before.items():
        echo(f"{key:<26} {_fmt(b):>12} {_fmt(after[key]):>12}")
    for kind, path in files.items():
        echo(f"wrote {kind}: {path}")
    return 0


def _fmt(value: Any) -> str:  # noqa: ANN401
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"  # noqa: PLR2004
    return str(value)
