"""Distances between points residents drop on the map (WGS 84 latitude and longitude)."""

from __future__ import annotations

import math

EARTH_RADIUS_METRES = 6_371_008.8  # the mean radius (IUGG)


def distance_metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The great-circle distance (haversine): well within a metre of the ellipsoid's at the
    few kilometres our rules decide (a visit's 200 m, a canteen's delivery area)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(a)))
