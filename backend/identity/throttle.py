"""The identity domain's rate limits (moving windows on ``backend.core.ratelimit``).

Three kinds of key (API.md): a client address may be a carrier NAT with thousands of residents
behind it, so its limits are generous and — for logins — count failures only; a phone or an
account is one person; a phone *from one address* is one caller trying one account, so its
limit is the strict one. No single address can use up a limit that also binds the phone's owner
on another address: that is what stops one attacker locking a resident out (docs/identity.md,
"Rate limits and lockout"). The per-phone SMS rules (one code a minute, ten a day) are business
rules and live in the database instead (``sms.py``).
"""

from __future__ import annotations

import ipaddress
import math

from backend.core.ratelimit import Rule

_MINUTE = 60
_HOUR = 60 * _MINUTE

# --- Password login -------------------------------------------------------------------------
# Per phone and address: wrong passwords before that address must wait for the window.
LOGIN_FAILURES_PER_PHONE_AND_ADDRESS = Rule(
    "login-fail-phone-addr", 5, 15 * _MINUTE, code="login_throttled"
)
# Per phone, from any addresses: a ladder of looser ceilings whose windows double. Only many
# addresses together reach it, and then each further failure roughly doubles the wait
# (1, 2, 4 … 32 minutes) instead of locking the phone for a fixed long window. Every rung is
# above what one address can add under the per-address rule above (a unit test holds this).
LOGIN_FAILURES_PER_PHONE = tuple(
    Rule(f"login-fail-phone-{level}", 10 + 2 * level, _MINUTE * 2**level, code="login_throttled")
    for level in range(6)
)
# Per address: failed logins (any phone) — a password-spraying client, not a NAT of residents.
LOGIN_FAILURES_PER_ADDRESS = Rule("login-fail-addr", 100, 15 * _MINUTE)

# --- SMS codes ------------------------------------------------------------------------------
# Per address: requests that send an SMS or check a code, and registrations.
SMS_PER_ADDRESS = Rule("sms-addr", 30, _MINUTE)
CODE_CHECKS_PER_ADDRESS = Rule("code-addr", 60, _MINUTE)
REGISTRATIONS_PER_ADDRESS = Rule("register-addr", 30, _MINUTE)
# Per phone and address: codes sent to one phone on behalf of one address in a day. Half the
# phone's ten a day (the database rule), so one address cannot use up the owner's SMS login.
SMS_PER_PHONE_AND_ADDRESS = Rule("sms-phone-addr", 5, 24 * _HOUR, code="sms_daily_limit")

# --- The signed-in account ------------------------------------------------------------------
VERIFICATIONS_PER_ACCOUNT = Rule("verify-account", 5, _HOUR)
# Ordinary writes (profile, household members): generous, against runaway clients and scripts.
WRITES_PER_ACCOUNT = Rule("writes-account", 120, _MINUTE)


def address_key(address: str | None) -> str:
    """The part of a client address that names one client for the limits.

    An IPv6 client usually holds a whole /64 and can pick a new address from it for every
    request, so a v6 address counts as its /64; IPv4 addresses count one by one.
    """
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def most_failures_from_one_address(window_seconds: int) -> int:
    """The most password failures for one phone that one address can add in any window of
    ``window_seconds``, under the per-phone-and-address rule."""
    rule = LOGIN_FAILURES_PER_PHONE_AND_ADDRESS
    return rule.limit * math.ceil(window_seconds / rule.window_seconds)
