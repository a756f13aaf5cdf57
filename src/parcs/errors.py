"""Public exceptions and warnings of parcs.

Every error parcs raises on bad input is one of these. They subclass the matching builtin
(``ValueError``, ``LookupError``, ...) so that a caller's ``except ValueError`` still works, and
each message says what was wrong and how to fix it.

Hierarchy::

    ParcsError
    ├── ValidationError (ValueError)      bad argument value, bad CRS, non-positive tolerance
    ├── DataError (ValueError)            missing, truncated or malformed input file
    ├── EmptyAreaError (ValueError)       an area / file holds no usable network
    ├── PlaceNotFoundError (LookupError)  unknown place name (suggests close matches)
    ├── NodeNotFoundError (LookupError)   unknown node id
    ├── SnapError (ValueError)            a point too far from the network
    ├── NoPathError                       destination unreachable (says why)
    ├── ProfileError (ValueError)         unknown routing profile
    ├── LoopError (ValueError)            a round trip of the asked length cannot be found
    ├── NumberingError                    points-nœuds numbering constraints cannot be met
    └── DownloadError                     OSM download failed (wraps osmnx errors)

    ParcsWarning (UserWarning)
    ├── DisconnectedNetworkWarning
    └── CRSWarning
"""

from __future__ import annotations

__all__ = [
    "CRSWarning",
    "DataError",
    "DisconnectedNetworkWarning",
    "DownloadError",
    "EmptyAreaError",
    "LoopError",
    "NoPathError",
    "NodeNotFoundError",
    "NumberingError",
    "ParcsError",
    "ParcsWarning",
    "PlaceNotFoundError",
    "ProfileError",
    "SnapError",
    "ValidationError",
]


class ParcsError(Exception):
    """Base class of every parcs error."""


class ValidationError(ParcsError, ValueError):
    """An argument has a wrong value (for example a CRS that is not metric)."""


class DataError(ParcsError, ValueError):
    """An input file is missing, truncated or malformed."""


class EmptyAreaError(ParcsError, ValueError):
    """The requested area or file contains no usable network."""


class PlaceNotFoundError(ParcsError, LookupError):
    """A place name matches no known place.

    Attributes
    ----------
    name
        The name that was looked up.
    suggestions
        Close matches, best first.
    """

    def __init__(self, msg: str, *, name: str = "", suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(msg)
        self.name = name
        self.suggestions = suggestions


class NodeNotFoundError(ParcsError, LookupError):
    """A node id is not in the graph."""


class SnapError(ParcsError, ValueError):
    """A point lies farther from the network than the allowed snapping distance.

    Attributes
    ----------
    distance_m
        Distance from the point to the nearest edge, in metres.
    """

    def __init__(self, msg: str, *, distance_m: float = float("nan")) -> None:
        super().__init__(msg)
        self.distance_m = distance_m


class NoPathError(ParcsError):
    """No route joins the origin and the destination.

    Attributes
    ----------
    reason
        ``"components"`` when they lie in different connected parts of the network, or
        ``"connectors"`` when a path exists only through the excluded gap connectors.
    """

    def __init__(self, msg: str, *, reason: str = "components") -> None:
        super().__init__(msg)
        self.reason = reason


class ProfileError(ParcsError, ValueError):
    """An unknown routing profile was requested."""


class LoopError(ParcsError, ValueError):
    """No round trip of the requested length can be built from that start."""


class NumberingError(ParcsError):
    """The junction numbering constraints cannot all be satisfied.

    The message names the constraint that fails (``adjacent``, ``min_reuse_m``, ``fixed``
    or ``range``) and the junction(s) where it fails.
    """


class DownloadError(ParcsError):
    """Downloading OSM data failed (network error, empty or partial answer)."""


class ParcsWarning(UserWarning):
    """Base class of parcs warnings."""


class DisconnectedNetworkWarning(ParcsWarning):
    """The network has several connected components where one was expected."""


class CRSWarning(ParcsWarning):
    """Coordinates were reprojected or a CRS was assumed."""
