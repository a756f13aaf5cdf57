"""Tests of ``parcs gaps``: on the embedded Artois network, and on a graph built by
``parcs build`` from a real OSM sample (Krems, places from OSM), where the JSON must equal an
independent networkx/shapely recomputation (``tests/links/reference.py``); ``--proposed`` on
a layer of REAL OSM ways of the sample and on bad layers."""

from __future__ import annotations

import contextlib
import io
import json
import math
import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import parcs
from parcs.cli import main
from tests.links import reference as ref
from tests.samples import OSM_SAMPLES, needs_osm_samples


def run_json(argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    assert code == 0
    return json.loads(buf.getvalue())


@pytest.fixture(scope="module")
def gaps_json(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("gaps")
    return run_json(
        ["gaps", "--json", "--top", "3", "--budget-km", "1.5", "--out", str(out_dir)]
    ), out_dir


def test_json_has_candidates_plan_and_metrics(gaps_json):
    data, _ = gaps_json
    assert {"candidates", "plan", "metrics_before", "metrics_after"} <= set(data)
    cands = data["candidates"]
    assert [c["rank"] for c in cands] == [1, 2, 3]
    assert cands[0]["benefit"] >= cands[1]["benefit"] >= cands[2]["benefit"]
    for c in cands:
        assert {
            "u",
            "v",
            "from_place",
            "to_place",
            "commune",
            "straight_m",
            "est_length_m",
            "benefit",
            "benefit_per_km",
            "trips_new",
        } <= set(c)
        assert c["est_length_m"] == pytest.approx(
            c["straight_m"] * data["params"]["detour_factor"], rel=1e-6
        ) or (c["source"] == "connector")
        lon, lat = c["lonlat"][0]
        assert 1.5 < lon < 3.5 and 50.0 < lat < 51.0  # Artois
    plan = data["plan"]
    assert plan, "a 1.5 km budget buys at least one link"
    assert [p["rank"] for p in plan] == list(range(1, len(plan) + 1))
    assert plan[-1]["cumulative_km"] <= 1.5 + 1e-9
    assert sum(p["length_m"] for p in plan) / 1000 == pytest.approx(plan[-1]["cumulative_km"])
    # the first greedy pick is the best candidate that fits the budget
    assert plan[0]["benefit"] == pytest.approx(
        max(c["benefit"] for c in cands if c["est_length_m"] <= 1500)
    )
    before, after = data["metrics_before"], data["metrics_after"]
    assert set(before) == set(after)
    assert {
        "length_km",
        "n_components",
        "largest_component_km",
        "directness",
        "global_efficiency",
        "local_efficiency",
        "coverage_km2",
        "population_500m",
        "population_1km",
        "parks_5km_mean",
        "parks_10km_median",
    } <= set(before)
    assert after["length_km"] == pytest.approx(before["length_km"] + plan[-1]["cumulative_km"])
    assert after["n_reachable_pairs"] >= before["n_reachable_pairs"]
    assert data["objective_before"] - data["objective_after"] == pytest.approx(
        plan[-1]["cumulative_benefit"], rel=1e-9
    )


def test_report_files_written(gaps_json):
    data, out_dir = gaps_json
    csv = pd.read_csv(out_dir / "missing_links.csv")
    assert len(csv) == data["n_candidates"]
    assert list(csv["rank"].head(3)) == [1, 2, 3]
    assert not {"u", "v", "id"} & set(csv.columns)
    assert csv["from"].head(3).tolist() == [c["from_place"] for c in data["candidates"]]
    assert len(pd.read_csv(out_dir / "plan.csv")) == len(data["plan"])
    md = (out_dir / "missing_links.md").read_text(encoding="utf-8")
    km = parcs.metrics(parcs.load_network()).length_km
    assert "Greedy plan" in md and f"| network length | {km:.1f} km |" in md
    assert set(gpd.list_layers(out_dir / "missing_links.gpkg")["name"]) == {"candidates", "plan"}


def test_text_output_names_places_and_bad_top(capsys):
    assert main(["gaps", "--top", "2", "--budget-km", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "candidate links" in out and "indicator" in out
    header = next(line for line in out.splitlines() if line.startswith("rank"))
    assert header.split()[:4] == ["rank", "from", "to", "commune"]
    top = parcs.missing_links(parcs.load_network(), top=2)
    for row in top.itertuples():
        line = next(x for x in out.splitlines() if x.lstrip().startswith(f"{row.rank} "))
        assert row.commune in line and f" {row.u} " not in line
    km = parcs.metrics(parcs.load_network()).length_km
    assert f"{km:.1f} km" in out and "%" in out
    assert main(["gaps", "--top", "0"]) == 1
    assert "`--top`" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# a graph built from a real OSM sample, places from OSM
# ------------------------------------------------------------------------------------------
KREMS = OSM_SAMPLES / "krems.osm.gz"


@pytest.fixture(scope="module")
def krems_gpkg(tmp_path_factory):
    if not KREMS.is_file():
        pytest.skip("OSM samples missing")
    out = tmp_path_factory.mktemp("krems") / "krems.gpkg"
    assert main(["build", "--osm", str(KREMS), "--out", str(out)]) == 0
    return out


def _approx(got, want, key):
    if isinstance(want, float) and math.isnan(want):
        assert got is None, key  # NaN is null in JSON
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), key


@needs_osm_samples
def test_gaps_on_an_osm_graph_equal_networkx(krems_gpkg):
    data = run_json(["--graph", str(krems_gpkg), "gaps", "--budget-km", "5", "--json"])
    G = parcs.load_graph(krems_gpkg)
    places = parcs.places(G)
    assert len(places) > 10 and data["n_candidates"] >= 10
    base, d0 = ref.objective(G, places)
    assert data["objective_before"] == pytest.approx(base, rel=1e-9)
    sources = set()
    for c in data["candidates"]:
        sources.add(c["source"])
        after, d1 = ref.objective(G, places, extra=[(c["u"], c["v"], c["est_length_m"])])
        assert c["benefit"] == pytest.approx(base - after, rel=1e-9), c
        assert c["trips_new"] == pytest.approx(ref.trips_new(d0, d1, places), rel=1e-9, abs=1e-9)
        assert "node" not in c["from_place"] and c["commune"]
    assert "connection" in sources  # paths over Krems's roads and tracks
    plan = data["plan"]
    assert plan and plan[-1]["cumulative_km"] <= 5 + 1e-9
    P = ref.pts(G)
    extra = [
        (
            p["u"],
            p["v"],
            p["length_m"],
            ref.connection_path(G, p["u"], p["v"])
            if p["source"] == "connection"
            else shapely.LineString([P[p["u"]], P[p["v"]]]),
        )
        for p in plan
    ]
    after, _ = ref.objective(G, places, extra=extra)
    assert plan[-1]["cumulative_benefit"] == pytest.approx(base - after, rel=1e-9)
    want_before = ref.metrics(G, places)
    want_after = ref.metrics(G, places, extra=extra)
    for key, want in want_before.items():
        _approx(data["metrics_before"][key], want, key)
        _approx(data["metrics_after"][key], want_after[key], key)


@needs_osm_samples
def test_proposed_real_ways_and_bad_layers(krems_gpkg, tmp_path, capsys):
    from tests.links.test_evaluate import real_ways

    G = parcs.load_graph(krems_gpkg)
    ways = real_ways(KREMS, G)
    layer = tmp_path / "scheme.geojson"
    ways.to_crs(4326).to_file(layer)
    data = run_json(["--graph", str(krems_gpkg), "gaps", "--proposed", str(layer), "--json"])
    ev = parcs.evaluate_links(G, layer)
    assert data["n_proposed"] == len(ways)
    assert [p["benefit_alone"] for p in data["proposed"]] == pytest.approx(
        ev.links["benefit_alone"].tolist()
    )
    assert data["objective_before"] - data["objective_after"] > 0
    assert data["build_order"] == ev.links.sort_values("order")["feature"].tolist()
    # text: names and units, no node ids
    assert (
        main(
            [
                "--graph",
                str(krems_gpkg),
                "gaps",
                "--proposed",
                str(layer),
                "--out",
                str(tmp_path / "r"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "proposed links" in out and " km" in out
    md = (tmp_path / "r" / "missing_links.md").read_text(encoding="utf-8")
    assert "## Proposed links" in md
    assert len(pd.read_csv(tmp_path / "r" / "proposed.csv")) == len(ways)
    assert not (tmp_path / "r" / "missing_links.csv").exists()  # no candidate search
    assert set(gpd.list_layers(tmp_path / "r" / "missing_links.gpkg")["name"]) == {"proposed"}
    # bad layers: one line naming the feature
    bad = ways.copy()
    bad.loc[len(bad), "geometry"] = shapely.LineString(
        [(0, 0), (10, 0)]
    )  # in the graph CRS: far away
    bad.loc[len(bad) - 1, "name"] = "nowhere"
    bad_file = tmp_path / "bad.gpkg"
    bad.to_file(bad_file)
    assert main(["--graph", str(krems_gpkg), "gaps", "--proposed", str(bad_file)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("parcs gaps: error:")
    assert f"feature {len(bad)} of {len(bad)} ('nowhere')" in err[0]
    nocrs = tmp_path / "nocrs.shp"
    with warnings.catch_warnings():  # pyogrio warns that the file will have no CRS: the point
        warnings.simplefilter("ignore", UserWarning)
        ways.set_crs(None, allow_override=True).to_file(nocrs)
    assert main(["--graph", str(krems_gpkg), "gaps", "--proposed", str(nocrs)]) == 1
    assert "no CRS" in capsys.readouterr().err
