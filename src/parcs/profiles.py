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

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from parcs.errors import ProfileError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy.typing as npt

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

    def __post_init__(self) -> None:
        """Check the speed and the multipliers."""
        speed = self.speed_kmh
        if isinstance(speed, bool) or not (isinstance(speed, (int, float)) and speed > 0):
            msg = f"`speed_kmh` of profile {self.name!r} must be a number > 0, got {speed!r}"
            raise ProfileError(msg)
        if not math.isfinite(float(speed)):
            msg = f"`speed_kmh` of profile {self.name!r} must be finite, got {speed!r}"
            raise ProfileError(msg)
        for kind, value in self.multipliers.items():
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (ok and math.isfinite(value) and value > 0):
                msg = (
                    f"the multiplier of kind {kind!r} in profile {self.name!r} must be a "
                    f"finite number > 0, got {value!r}"
                )
                raise ProfileError(msg)

    @property
    def key(self) -> tuple[Any, ...]:
        """A hashable identity of the profile's maths (name, speed and multipliers)."""
        return (self.name, float(self.speed_kmh), tuple(sorted(self.multipliers.items())))

    def multiplier(self, kind: str) -> float:
        """Return the cost multiplier of edge `kind`."""
        return float(self.multipliers.get(kind, _DEFAULT_MULTIPLIER))

    def weights(
        self,
        length: npt.NDArray[np.float64],
        kind_codes: npt.ArrayLike,
        kinds: Sequence[str],
        *,
        what: str = "cost",
    ) -> npt.NDArray[np.float64]:
        """Return per-arc weights from arc lengths and kinds (the profile maths, in one place).

        Parameters
        ----------
        length
            float64[m] travelled metres of each arc (``est_length``).
        kind_codes
            int[m] position of each arc's kind in `kinds`.
        kinds
            Kind names.
        what
            {"cost", "time", "length"}: ``length × multiplier[kind]`` (perceived metres),
            ``length / speed`` (seconds) or `length` itself.

        Returns
        -------
        numpy.ndarray
            float64[m] weights.
        """
        length = np.asarray(length, dtype=np.float64)
        if what == "length":
            return length
        if what == "time":
            return length / self.speed_ms
        mult = np.array([self.multiplier(k) for k in kinds], dtype=np.float64)
        codes = np.asarray(kind_codes, dtype=np.int64)
        return length * mult[codes] if len(mult) else length.copy()


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
    """Return the `Profile` named `profile` (case-insensitive), or `profile` itself.

    Raises
    ------
    ProfileError
        If `profile` is not a known profile name.
    """
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, str):  # callers without a type checker can pass anything
        msg = f"`profile` must be a profile name or a parcs.profiles.Profile, got {profile!r}"  # type: ignore[unreachable]
        raise ProfileError(msg)
    name = profile.strip().lower()
    if name not in PROFILES:
        msg = f"unknown `profile` {profile!r}; choose one of {sorted(PROFILES)}"
        raise ProfileError(msg)
    return PROFILES[name]
