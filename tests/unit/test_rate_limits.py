"""The rate-limit rules without a database: moving windows, Retry-After, the identity ladder."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from backend.core.errors import AppError
from backend.core.ratelimit import Limiter, ProcessWindows, Rule, seconds_until
from backend.identity import throttle
from tests.limits_support import DrivenTime, limits_time

__all__ = ["limits_time"]


def _limiter(enabled: bool = True) -> Limiter:
    return Limiter(ProcessWindows(), enabled=enabled)


async def _refusal(limiter: Limiter, rule: Rule, *subject: str) -> AppError:
    with pytest.raises(AppError) as caught:
        await limiter.hit(rule, *subject)
    assert caught.value.status == 429
    return caught.value


@pytest.mark.parametrize(
    ("wait", "strictly_after", "answer"),
    [
        (0.0, True, 1),
        (0.0, False, 1),
        (0.2, True, 1),
        (0.999, False, 1),
        (1.0, True, 2),
        (1.0, False, 1),
        (39.63, True, 40),
        (39.63, False, 40),
        (40.0, True, 41),
        (40.0, False, 40),
        (-3.0, True, 1),
    ],
)
def test_retry_after_is_the_first_whole_second_that_is_accepted(
    limits_time: DrivenTime, wait: float, strictly_after: bool, answer: int
) -> None:
    assert seconds_until(limits_time.now + wait, strictly_after=strictly_after) == answer


async def test_refusals_count_nothing_and_carry_the_rules_code(limits_time: DrivenTime) -> None:
    limiter = _limiter()
    rule = Rule("unit", 2, 60, code="custom")
    await limiter.hit(rule, "a")
    limits_time.advance(10)
    await limiter.hit(rule, "a")
    for _ in range(20):
        refused = await _refusal(limiter, rule, "a")
        assert refused.code == "custom"
        limits_time.advance(1)
    # Thirty seconds and twenty refusals in, the window frees when the first hit is 60 s old:
    # the refusals added nothing to it.
    limits_time.advance(29.5)
    await _refusal(limiter, rule, "a")
    limits_time.advance(0.51)
    await limiter.hit(rule, "a")


async def test_retry_after_is_true_to_the_second(limits_time: DrivenTime) -> None:
    limiter = _limiter()
    rule = Rule("unit-wait", 3, 60)
    for _ in range(3):
        await limiter.hit(rule, "a")
        limits_time.advance(7.25)
    for _ in range(5):
        wait = int((await _refusal(limiter, rule, "a")).headers["Retry-After"])
        assert 1 <= wait <= 60
        # One second less is still too early: the answer is never longer than the real wait…
        limits_time.advance(wait - 1)
        await _refusal(limiter, rule, "a")
        # …and the answer itself is always enough.
        limits_time.advance(1)
        await limiter.hit(rule, "a")


async def test_a_window_s_edge_answers_the_same_whatever_ran_before(
    limits_time: DrivenTime,
) -> None:
    """Exactly one window after a hit, the hit still counts (``limits`` compares inclusively),
    and a background task getting its turn first must not change that: stop 25's CI failed
    when the memory store's sweep dropped the entry there first."""
    limiter = _limiter()
    rule = Rule("unit-edge", 1, 60)
    await limiter.hit(rule, "a")
    limits_time.advance(60)
    await _refusal(limiter, rule, "a")
    await asyncio.sleep(0.05)  # every task the refusal scheduled has run
    await _refusal(limiter, rule, "a")
    limits_time.advance(0.001)
    await limiter.hit(rule, "a")


async def test_steady_traffic_keeps_getting_through(limits_time: DrivenTime) -> None:
    """One request a second against 30 a minute: about half get in, in every minute."""
    limiter = _limiter()
    rule = Rule("unit-steady", 30, 60)
    accepted_per_minute = [0, 0, 0, 0]
    for second in range(240):
        try:
            await limiter.hit(rule, "addr")
        except AppError as refused:
            wait = int(refused.headers["Retry-After"])
        else:
            accepted_per_minute[second // 60] += 1
            continue
        finally:
            limits_time.advance(1)
        assert 1 <= wait <= 60
    assert accepted_per_minute[0] == 30
    assert all(count >= 29 for count in accepted_per_minute[1:]), accepted_per_minute


async def test_check_and_record_count_failures_only(limits_time: DrivenTime) -> None:
    limiter = _limiter()
    rule = Rule("unit-failures", 2, 60)
    await limiter.check(rule, "addr")
    await limiter.record(rule, subject=("addr",))
    await limiter.check(rule, "addr")
    await limiter.record(rule, subject=("addr",))
    with pytest.raises(AppError):
        await limiter.check(rule, "addr")
    await limiter.clear(rule, subject=("addr",))
    await limiter.check(rule, "addr")


async def test_check_all_answers_the_longest_wait(limits_time: DrivenTime) -> None:
    limiter = _limiter()
    short, long = Rule("unit-short", 2, 60), Rule("unit-long", 3, 600)
    for _ in range(3):
        await limiter.record(short, long, subject=("p",))
        limits_time.advance(1)
    with pytest.raises(AppError) as caught:
        await limiter.check_all((short, long), "p")
    assert int(caught.value.headers["Retry-After"]) == 597


async def test_subjects_are_counted_apart(limits_time: DrivenTime) -> None:
    limiter = _limiter()
    rule = Rule("unit-apart", 1, 60)
    await limiter.hit(rule, "phone", "addr-a")
    await limiter.hit(rule, "phone", "addr-b")
    await limiter.hit(rule, "other", "addr-a")
    await _refusal(limiter, rule, "phone", "addr-a")


async def test_a_disabled_limiter_never_refuses() -> None:
    limiter = _limiter(enabled=False)
    rule = Rule("unit-off", 1, 60)
    for _ in range(5):
        await limiter.hit(rule, "a")
        await limiter.record(rule, subject=("a",))
        await limiter.check(rule, "a")
        await limiter.check_all((rule,), "a")


@pytest.mark.parametrize("level", throttle.LOGIN_FAILURES_PER_PHONE)
def test_one_address_can_never_fill_a_rung_of_the_phones_ladder(level: Rule) -> None:
    # This is what keeps a resident's password login open while one attacker keeps failing.
    assert throttle.most_failures_from_one_address(level.window_seconds) < level.limit


def test_the_ladders_windows_double() -> None:
    ladder = throttle.LOGIN_FAILURES_PER_PHONE
    windows = [level.window_seconds for level in ladder]
    assert windows == [60 * 2**n for n in range(len(ladder))]
    assert all(a.limit < b.limit for a, b in itertools.pairwise(ladder))
    assert {level.code for level in ladder} == {"login_throttled"}


def test_limits_keyed_on_an_address_tolerate_a_carrier_nat() -> None:
    assert throttle.LOGIN_FAILURES_PER_ADDRESS.limit >= 100
    assert throttle.SMS_PER_ADDRESS.limit >= 30
    assert throttle.WRITES_PER_ACCOUNT.limit >= 120


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
        (None, "unknown"),
        ("", "unknown"),
    ],
)
def test_an_ipv6_client_counts_as_its_64(address: str | None, key: str) -> None:
    assert throttle.address_key(address) == key


async def test_clearing_a_window_never_breaks_the_memory_stores_sweep() -> None:
    """A good login clears its failure windows while the store's sweep may be walking them."""
    storage = ProcessWindows()
    limiter = Limiter(storage, enabled=True)
    rule = Rule("unit-sweep", 5, 60)
    broken: list[BaseException] = []
    for round_ in range(20):
        subjects = [f"{round_}-{n}" for n in range(50)]
        for subject in subjects:
            await limiter.record(rule, subject=(subject,))
        # The last record started a sweep over all fifty keys; clear them under it.
        sweep = storage.timer
        assert sweep is not None
        for subject in subjects:
            await limiter.clear(rule, subject=(subject,))
            await asyncio.sleep(0)
        await asyncio.wait([sweep])
        if sweep.exception() is not None:
            broken.append(sweep.exception())
        # Cleared means cleared: a full window again for every subject.
        for subject in subjects[:3]:
            for _ in range(5):
                await limiter.hit(rule, subject)
    assert broken == []
