"""The notification kinds and their texts in zh-CN and en.

A notification stores only its ``kind`` and ``data``; its title and body are rendered when it is
read, in the reader's language. Each domain registers the texts of its own kinds in its own
``messages.py``, for example::

    # backend/hub/messages.py
    from backend.notifications.messages import register_kinds

    register_kinds(
        {
            "booking_cancelled": {
                "zh-CN": ("预约已取消", "您预约的{roomName}（{startsAt}）已取消。"),
                "en": ("Booking cancelled", "Your booking of {roomName} at {startsAt} is off."),
            },
        }
    )

and imports that module from its service (``from backend.hub import messages  # noqa: F401``),
so the texts exist before anything calls ``notify``. The rules:

- A kind is snake_case, at most 40 characters; it is stored, and the app may switch on it.
- Placeholders name keys of ``data``: camelCase, because ``data`` goes to the app as it is.
- A value under a key ending in ``At`` that holds an RFC 3339 time (a ``datetime`` passed to
  ``notify`` becomes one) is shown as Asia/Shanghai local time, ``YYYY-MM-DD HH:MM``.
- ``notify`` refuses a kind without texts, so a typo fails in the tests. A stored kind whose
  texts were later removed, or data missing a placeholder, still renders: as a generic
  "new message".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backend.core import i18n
from backend.core.clock import LOCAL_TZ
from backend.core.i18n import Language

PREFIX = "notification."
FALLBACK = PREFIX + "unknown"


def code_of(kind: str) -> str:
    return PREFIX + kind


def register_kinds(kinds: Mapping[str, Mapping[Language, tuple[str, str]]]) -> None:
    """Register the (title, body) templates of notification kinds in both languages."""
    i18n.register({code_of(kind): texts for kind, texts in kinds.items()})


def is_registered(kind: str) -> bool:
    return i18n.known(code_of(kind))


class _Strict(dict[str, Any]):
    """Format values where a missing key is an error, not a silent ``{key}`` in the text."""

    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


def _shown(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key.endswith("At") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return value


def _fill(template: str, values: _Strict) -> str | None:
    try:
        return template.format_map(values)
    except (KeyError, IndexError, AttributeError, ValueError, TypeError):
        return None


def render(kind: str, data: Mapping[str, Any], language: Language) -> tuple[str, str]:
    """The title and body of a notification in ``language``; never fails."""
    fallback = i18n.template(FALLBACK, language)
    assert fallback is not None  # registered below, at import
    texts = i18n.template(code_of(kind), language)
    if texts is None:
        return fallback
    values = _Strict({key: _shown(key, value) for key, value in data.items()})
    title = _fill(texts[0], values)
    body = _fill(texts[1], values)
    if title is None or body is None:
        return (title or fallback[0], fallback[1])
    return title, body


i18n.register(
    {
        FALLBACK: {
            "zh-CN": ("新消息", "您有一条新消息。"),
            "en": ("New message", "You have a new message."),
        },
        "notification_not_found": {
            "zh-CN": ("未找到该消息", "消息不存在或不属于当前账号。"),
            "en": ("Notification not found", "There is no such message in your inbox."),
        },
    }
)
