"""Missing links: candidates and their exact benefit, a greedy plan, indicators, proposals.

``candidates`` finds and scores the gaps (:func:`missing_links`), ``plan`` grows the network
within a budget (:func:`plan_links`), ``indicators`` measures a network (:func:`metrics`,
:func:`metrics_table`), ``evaluate`` measures a planner's own proposed links
(:func:`evaluate_links`), ``report`` writes the tables. Private to this package: ``_built``
(the greenway layer as arrays, places' access, OD pairs, distance rows), ``_names`` (names of
a link's ends and commune), ``_proposals`` (reading and noding proposed links).
"""

from __future__ import annotations

from parcs.links._built import ALL_BUILT, DEFAULT_GREENWAY, ROUTES
from parcs.links.candidates import (
    DEFAULT_CAP_M,
    DEFAULT_CLUSTER_M,
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_MAX_CONNECTION_M,
    DEFAULT_MAX_GAP_M,
    DEFAULT_MIN_DETOUR,
    DEFAULT_MIN_NETWORK_RATIO,
    DEFAULT_PARK_PAIR_SHARE,
    PARK_KINDS,
    SOURCES,
    missing_links,
)
from parcs.links.evaluate import DEFAULT_SNAP_M, Evaluation, evaluate_links
from parcs.links.indicators import DEFAULT_BUFFER_M, NetworkMetrics, metrics, metrics_table
from parcs.links.plan import plan_links
from parcs.links.report import INDICATORS, format_indicator, write_report

__all__ = [
    "ALL_BUILT",
    "DEFAULT_BUFFER_M",
    "DEFAULT_CAP_M",
    "DEFAULT_CLUSTER_M",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_GREENWAY",
    "DEFAULT_MAX_CONNECTION_M",
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_MIN_DETOUR",
    "DEFAULT_MIN_NETWORK_RATIO",
    "DEFAULT_PARK_PAIR_SHARE",
    "DEFAULT_SNAP_M",
    "INDICATORS",
    "PARK_KINDS",
    "ROUTES",
    "SOURCES",
    "Evaluation",
    "NetworkMetrics",
    "evaluate_links",
    "format_indicator",
    "metrics",
    "metrics_table",
    "missing_links",
    "plan_links",
    "write_report",
]
