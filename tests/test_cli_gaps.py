"""Tests of ``parcs gaps`` on the embedded Artois network."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from parcs.cli import main


@pytest.fixture(scope="module")
def gaps_json(tmp_path_factory):
    import contextlib
    import io

    out_dir = tmp_path_factory.mktemp("gaps")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["gaps", "--json", "--top", "3", "--budget-km", "1.5", "--out", str(out_dir)])
    assert code == 0
    return json.loads(buf.getvalue()), out_dir


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
    assert len(pd.read_csv(out_dir / "plan.csv")) == len(data["plan"])
    md = (out_dir / "missing_links.md").read_text(encoding="utf-8")
    assert "Greedy plan" in md and "| network length | 509.8 km |" in md


def test_text_output_and_bad_top(capsys):
    assert main(["gaps", "--top", "2", "--budget-km", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "candidate links" in out and "indicator" in out
    assert main(["gaps", "--top", "0"]) == 1
    assert "`--top`" in capsys.readouterr().err
