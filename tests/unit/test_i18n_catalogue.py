"""Every error code the code base can answer has its texts in both languages, and the zh-CN
texts are Chinese: no English words but placeholders and the wire's own names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import backend.app  # noqa: F401  (imports every domain, so every domain's messages register)
from backend.core import errors, i18n

BACKEND = Path(__file__).parents[2] / "backend"

# Helper → the position of its ``code`` argument (also accepted as ``code=``).
CODE_ARGUMENT = {
    "AppError": 1,
    "not_found": 0,
    "forbidden": 0,
    "conflict": 0,
    "unprocessable": 0,
    "invalid_field": 2,
    "rate_limited": 1,
    "problem_response": 2,
}
# Names on the wire that zh-CN texts quote as they are: headers, parameters, fields, formats.
WIRE_NAMES = {"Idempotency-Key", "cursor", "JSON", "application/json", "weeks", "until", "RFC", "X"}
PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")


def _raised_codes() -> tuple[set[str], list[str]]:
    """The codes passed as literals to ``AppError`` and its helpers, and where one is not."""
    codes: set[str] = set()
    computed: list[str] = []
    for path in BACKEND.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in CODE_ARGUMENT:
                continue
            position = CODE_ARGUMENT[name]
            argument: ast.expr | None = None
            if len(node.args) > position:
                argument = node.args[position]
            for keyword in node.keywords:
                if keyword.arg == "code":
                    argument = keyword.value
            if argument is None:
                continue  # the helper's default code, checked below
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                codes.add(argument.value)
            else:
                computed.append(f"{path.relative_to(BACKEND)}:{node.lineno}")
    return codes, computed


def test_every_code_raised_has_its_texts_in_both_languages() -> None:
    codes, _ = _raised_codes()
    codes |= set(errors._STATUS_CODES.values())
    codes |= {"not_found", "forbidden", "validation_error", "rate_limited", "internal_error"}
    assert len(codes) > 50
    catalogue = i18n.catalogue()
    missing = sorted(code for code in codes if code not in catalogue)
    assert not missing
    for code in codes:
        assert set(catalogue[code]) == {"zh-CN", "en"}, code


def test_codes_are_computed_only_where_they_come_from_the_catalogue() -> None:
    # A code built at run time escapes the check above; the few places that do it pass on a
    # code they were given, which the check above found where it was written.
    _, computed = _raised_codes()
    assert len(computed) <= 12, computed


def _english_words(text: str) -> list[str]:
    return [
        word
        for word in ENGLISH_WORD.findall(PLACEHOLDER.sub("", text))
        if word.rstrip(".") not in WIRE_NAMES
    ]


def test_zh_cn_texts_have_no_english_words() -> None:
    offending = {
        code: texts["zh-CN"]
        for code, texts in i18n.catalogue().items()
        if any(_english_words(text) for text in texts["zh-CN"])
    }
    assert not offending


def test_every_field_message_has_a_chinese_text() -> None:
    messages = i18n.field_messages()
    assert len(messages) > 40
    offending = {
        english: chinese for english, chinese in messages.items() if _english_words(chinese)
    }
    assert not offending
