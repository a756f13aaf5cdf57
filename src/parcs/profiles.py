"""Travel profiles: a speed and a cost multiplier per edge kind.

The cost of an edge for a profile is ``est_length × multiplier[kind]`` (metres of
"perceived" distance) and its time is ``est_length / speed``. ``est_length`` already includes
the detour factor of gap connectors (see ``parcs.territory``).

Defaults and why:

* ``walk``: 4.5 km/h, the usual planning speed for leisure walking.
* ``bike``: 15 km/h, a leisure cyclist on mixed greenway surfaces (the French *schémas
  véloroutes* use 15 km/h for leisure itineraries).
* ``ebike``: 20 km/h, an assisted bike (assistance stops at 25 km/h).

Multipliers: built greenways (cavalier, eurovelo, cycleway, towpath) cost 1.0; unpaved path and
track cost a little more for bikes; a gap connector (``built=False``, no path on the ground
today, or a quiet road in OSM graphs) costs 4× for every profile, so that routes cross a gap
only when it saves a large detour. ``avoid_connectors=True`` in routing removes them entirely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from parcs.errors import ProfileError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PROFILES", "Profile", "get_profile"]

_DEFAULT_MULTIPLIER = 1.0


@dataclass(frozen=True)
class Profile:
    """A travel profile.

    Parameters
    ----------
    name
        Profile name.
    speed_kmh
        Travel speed on every edge, in km/h.
    multipliers
        Cost multiplier by edge kind; kinds not listed cost 1.0.
    """

    name: str
    speed_kmh: float
    multipliers: Mapping[str, float] = field(default_factory=dict)

    @property
    def speed_ms(self) -> float:
        """Speed in metres per second."""
        return self.speed_kmh / 3.6

    def multiplier(self, kind: str) -> float:
        """Return the cost multiplier of edge `kind`."""
        return float(self.multipliers.get(kind, _DEFAULT_MULTIPLIER))


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "walk": Profile(
            "walk",
            4.5,
            MappingProxyType({"path": 1.0, "track": 1.0, "connector": 4.0}),
        ),
        "bike": Profile(
            "bike",
            15.0,
            MappingProxyType({"path": 1.2, "track": 1.3, "connector": 4.0}),
        ),
        "ebike": Profile(
            "ebike",
            20.0,
            MappingProxyType({"path": 1.2, "track": 1.3, "connector": 4.0}),
        ),
    }
)


def get_profile(profile: str | Profile) -> Profile:
    """Return the `Profile` named `profile` (or `profile` itself).

    Raises
    ------
    ProfileError
        If `profile` is not a known profile name.
    """
    if isinstance(profile, Profile):
        return profile
    if profile not in PROFILES:
        msg = f"unknown `profile` {profile!r}; choose one of {sorted(PROFILES)}"
        raise ProfileError(msg)
    return PROFILES[profile]
