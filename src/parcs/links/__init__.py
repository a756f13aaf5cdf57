"""Missing links: candidates and their exact benefit, a greedy plan, indicators, the report.

``candidates`` finds and scores the gaps (:func:`missing_links`), ``plan`` grows the network
within a budget (:func:`plan_links`), ``indicators`` measures a network (:func:`metrics`,
:func:`metrics_table`), ``report`` writes the tables; ``_built`` (the built network as arrays,
places' access, OD pairs, distance rows) is private to this package.
"""

from __future__ import annotations

from parcs.links.candidates import (
    DEFAULT_CAP_M,
    DEFAULT_CLUSTER_M,
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_MAX_GAP_M,
    DEFAULT_MIN_NETWORK_RATIO,
    DEFAULT_PARK_PAIR_SHARE,
    PARK_KINDS,
    missing_links,
)
from parcs.links.indicators import NetworkMetrics, metrics, metrics_table
from parcs.links.plan import plan_links
from parcs.links.report import write_report

__all__ = [
    "DEFAULT_CAP_M",
    "DEFAULT_CLUSTER_M",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_MIN_NETWORK_RATIO",
    "DEFAULT_PARK_PAIR_SHARE",
    "PARK_KINDS",
    "NetworkMetrics",
    "metrics",
    "metrics_table",
    "missing_links",
    "plan_links",
    "write_report",
]
