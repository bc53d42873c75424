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


def post(
    base_url: str, path: str, token: str, body: bytes, idempotency_key: str
) -> tuple[int, bytes, dict[str, str]]:
    """A creating POST as the phones send it; its status, body and headers (names lower-case)."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": idempotency_key,
    }
    request = urllib.request.Request(base_url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        answer = error.code, error.read(), error.headers
    status, content, found = answer
    return int(status), bytes(content), {k.lower(): v for k, v in found.items()}


def replay(
    what: str, base_url: str, path: str, token: str, body: bytes, idempotency_key: str
) -> Parity:
    """One server honours ``Idempotency-Key`` as docs/events.md promises: a repeat replays the
    first answer byte for byte (saying so in ``Idempotent-Replayed``), and the same key with
    another body is refused (422 ``idempotency_key_reused``)."""
    found: list[str] = []
    first = post(base_url, path, token, body, idempotency_key)
    again = post(base_url, path, token, body, idempotency_key)
    other = post(base_url, path, token, body.rstrip(b"}") + b', "memberIds": []}', idempotency_key)
    if first[0] != 201:
        found.append(f"first answer {first[0]}: {first[1][:200]!r}")
    if "idempotent-replayed" in first[2]:
        found.append("the first answer says Idempotent-Replayed")
    if (again[0], again[1]) != (first[0], first[1]):
        found.append(f"the repeat answered {again[0]} {again[1][:200]!r}, not the first answer")
    if again[2].get("idempotent-replayed") != "true":
        found.append("the repeat does not say Idempotent-Replayed: true")
    code = json.loads(other[1]).get("code") if other[1] else None
    if (other[0], code) != (422, "idempotency_key_reused"):
        found.append(f"the key with another body answered {other[0]} {code}")
    return Parity(what, again[1] == first[1], not found, found)


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
