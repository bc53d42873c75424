"""Password rules, and argon2 work kept off the event loop and within a memory budget."""

from __future__ import annotations

import asyncio
import os
import threading

from backend.core.errors import AppError, FieldError
from backend.core.security import hash_password, verify_password

MIN_LENGTH = 8

# Each argon2 computation holds 64 MiB; a storm of logins must not hold it once per request.
# A thread semaphore (not an asyncio one) works whatever event loop calls it.
_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


def check_strength(password: str, *, phone: str, field: str = "password") -> None:
    """At least 8 characters, not only digits, not the phone number (422 ``weak_password``)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must have at least {MIN_LENGTH} characters")
    if password.isdigit():
        problems.append("must not be only digits")
    if phone and phone in password.replace(" ", "").replace("-", ""):
        problems.append("must not contain the phone number")
    if password != password.strip() or not password.isprintable():
        problems.append("must not start or end with spaces or contain control characters")
    if problems:
        raise AppError(
            422,
            "weak_password",
            errors=[FieldError(field=field, message=problem) for problem in problems],
        )


def _hash(password: str) -> str:
    with _SLOTS:
        return hash_password(password)


def _verify(password_hash: str | None, password: str) -> bool:
    with _SLOTS:
        return verify_password(password_hash, password)


async def hash_async(password: str) -> str:
    return await asyncio.to_thread(_hash, password)


async def verify_async(password_hash: str | None, password: str) -> bool:
    """Also spends a hash's time when there is no account, so timing does not reveal one."""
    return await asyncio.to_thread(_verify, password_hash, password)
