"""Language negotiation and the message catalogue."""

from __future__ import annotations

import pytest

from backend.core import i18n


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("EN-us", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("zh-Hans-CN;q=0.8, en;q=0.9", "en"),
        ("en;q=0.5, zh;q=0.8", "zh-CN"),
        # equal weight: the earlier wins, as the client listed it first
        ("en;q=0.7, zh;q=0.7", "en"),
        ("fr-FR, en;q=0.1", "en"),
        ("fr, de", "zh-CN"),
        ("*", "zh-CN"),
        ("en;q=0", "zh-CN"),
        ("en;q=0, zh", "zh-CN"),
        ("en;q=abc", "zh-CN"),
        ("en;q=nan", "zh-CN"),
        ("en;q=2", "zh-CN"),
        ("english", "zh-CN"),
        (";;;,,,q=1", "zh-CN"),
        ("en ; Q=0.5", "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_message_formats_the_detail_and_falls_back_for_unknown_codes() -> None:
    title, detail = i18n.message("rate_limited", "en", {"retryAfter": 7})
    assert title == "Too many requests"
    assert "7 seconds" in detail
    assert i18n.message("no_such_code_anywhere", "zh-CN") == i18n.message("error", "zh-CN")


def test_a_missing_parameter_does_not_break_the_message() -> None:
    _, detail = i18n.message("rate_limited", "zh-CN")
    assert "{retryAfter}" in detail


def test_register_demands_both_languages_and_refuses_conflicting_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A catalogue of this test's own: the codes it registers must not outlive it (the document
    # test checks that every code of the catalogue is declared by an operation).
    monkeypatch.setattr(i18n, "_CATALOGUE", dict(i18n._CATALOGUE))
    with pytest.raises(ValueError, match="zh-CN and en"):
        i18n.register({"test_only_zh": {"zh-CN": ("标题", "内容")}})  # type: ignore[dict-item]
    i18n.register({"test_twice": {"zh-CN": ("一", "一"), "en": ("one", "one")}})
    # the same text again is harmless (modules may be imported twice under different names)
    i18n.register({"test_twice": {"zh-CN": ("一", "一"), "en": ("one", "one")}})
    with pytest.raises(ValueError, match="registered twice"):
        i18n.register({"test_twice": {"zh-CN": ("二", "二"), "en": ("two", "two")}})


def test_template_gives_the_raw_texts() -> None:
    assert i18n.template("rate_limited", "en") == (
        "Too many requests",
        "Try again in {retryAfter} seconds.",
    )
    assert i18n.template("no_such_code_anywhere", "en") is None
