"""Do Qiyou and the ceiling answer alike? Same keys in the same order, same values."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Parity:
    what: str
    identical_bytes: bool
    same_json: bool
    differences: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "identical_bytes": self.identical_bytes,
            "same_json": self.same_json,
            "differences": self.differences[:10],
        }


def fetch(base_url: str, path: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(base_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())


def differences(ours: Any, ceiling: Any, where: str = "$", *, values: bool = True) -> list[str]:
    """Where two JSON documents differ: keys, key order, types and (with ``values``) values."""
    found: list[str] = []
    if isinstance(ours, dict) and isinstance(ceiling, dict):
        if list(ours) != list(ceiling):
            found.append(f"{where}: keys {list(ours)} != {list(ceiling)}")
        for key in ours.keys() & ceiling.keys():
            found += differences(ours[key], ceiling[key], f"{where}.{key}", values=values)
    elif isinstance(ours, list) and isinstance(ceiling, list):
        if values and len(ours) != len(ceiling):
            found.append(f"{where}: {len(ours)} items != {len(ceiling)}")
        for index, (a, b) in enumerate(zip(ours, ceiling, strict=False)):
            found += differences(a, b, f"{where}[{index}]", values=values)
    elif type(ours) is not type(ceiling):
        found.append(f"{where}: {type(ours).__name__} != {type(ceiling).__name__}")
    elif values and ours != ceiling:
        found.append(f"{where}: {ours!r} != {ceiling!r}")
    return found


def compare(what: str, ours: bytes, ceiling: bytes) -> Parity:
    """Two answers to the very same read."""
    a, b = json.loads(ours), json.loads(ceiling)
    found = differences(a, b)
    return Parity(what, ours == ceiling, not found, found)


def compare_shape(what: str, ours: str | None, ceiling: str | None) -> Parity:
    """Two answers to two writes of the same kind (other ids, times and tokens; same shape)."""
    if ours is None or ceiling is None:
        missing = "ours" if ours is None else "the ceiling"
        return Parity(what, False, False, [f"no sample from {missing}"])
    found = differences(json.loads(ours), json.loads(ceiling), values=False)
    return Parity(what, False, not found, found)
