"""Store-based throttles of the identity endpoints.

Two kinds of key, two kinds of limit (API.md): a phone number or account is one person, so its
limit is strict; a client address may be a carrier NAT with thousands of residents behind it,
so its limits are generous and — for logins — count failures only, so residents who type their
password right never use them up. ``QIYOU_RATE_LIMIT_ENABLED=false`` switches them all off;
the per-phone SMS rules are business rules and live in the database instead (``sms.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.stores.base import Store

from backend.core.errors import rate_limited
from backend.core.stores import Counter

STORE_NAME = "ratelimit"
_STATE_KEY = "identity_throttle_counter"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    limit: int
    window_seconds: int
    code: str = "rate_limited"

    def key(self, subject: str) -> str:
        return f"identity:{self.name}:{subject}"


# Per phone: wrong passwords before the phone is locked out for the rest of the window.
LOGIN_FAILURES_PER_PHONE = Rule("login-fail-phone", 5, 15 * 60, code="login_throttled")
# Per address: failed logins (any phone) — a password-spraying client, not a NAT of residents.
LOGIN_FAILURES_PER_ADDRESS = Rule("login-fail-addr", 100, 15 * 60)
# Per address: requests that send an SMS or check a code.
SMS_PER_ADDRESS = Rule("sms-addr", 30, 60)
CODE_CHECKS_PER_ADDRESS = Rule("code-addr", 60, 60)
REGISTRATIONS_PER_ADDRESS = Rule("register-addr", 30, 60)


class Throttle:
    """Fixed-window limits on a shared store (memory, or Redis across workers)."""

    def __init__(self, counter: Counter, *, enabled: bool) -> None:
        self._counter = counter
        self.enabled = enabled

    @classmethod
    def for_app(cls, app: Any, *, enabled: bool) -> Throttle:
        # One Counter per app: its process lock is what makes memory-store counts atomic.
        counter = app.state.get(_STATE_KEY)
        if counter is None:
            store: Store = app.stores.get(STORE_NAME)
            counter = Counter(store)
            app.state[_STATE_KEY] = counter
        return cls(counter, enabled=enabled)

    async def hit(self, rule: Rule, subject: str) -> None:
        """Count an attempt; refuse it (429) once the window holds more than the limit."""
        if not self.enabled:
            return
        count, remaining = await self._counter.hit(rule.key(subject), rule.window_seconds)
        if count > rule.limit:
            raise rate_limited(remaining, code=rule.code)

    async def check(self, rule: Rule, subject: str) -> None:
        """Refuse (429) when earlier failures already used up the window; count nothing."""
        if not self.enabled:
            return
        count, remaining = await self._counter.peek(rule.key(subject))
        if count >= rule.limit:
            raise rate_limited(remaining, code=rule.code)

    async def record(self, rule: Rule, subject: str) -> None:
        """Count a failure without refusing anything now (the next ``check`` will)."""
        if self.enabled:
            await self._counter.hit(rule.key(subject), rule.window_seconds)

    async def clear(self, rule: Rule, subject: str) -> None:
        if self.enabled:
            await self._counter.reset(rule.key(subject))
