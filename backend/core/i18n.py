"""The zh-CN / en message catalogue and language negotiation.

Each domain registers its own messages (``register``) so the catalogue grows with the domains
without one file that every change touches. A message is a title and a detail template; the
detail is formatted with the parameters the error or notification carries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from litestar import Request

Language = Literal["zh-CN", "en"]
DEFAULT_LANGUAGE: Language = "zh-CN"
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")

# code -> language -> (title, detail template)
_CATALOGUE: dict[str, dict[Language, tuple[str, str]]] = {}


def register(messages: Mapping[str, Mapping[Language, tuple[str, str]]]) -> None:
    for code, by_language in messages.items():
        if code in _CATALOGUE and _CATALOGUE[code] != dict(by_language):
            raise ValueError(f"message {code!r} registered twice with different text")
        if set(by_language) != set(LANGUAGES):
            raise ValueError(f"message {code!r} must have zh-CN and en")
        _CATALOGUE[code] = dict(by_language)


# What ``errors[].message`` says, in zh-CN: the field messages are written in English where they
# arise (msgspec's, Litestar's, the domains' rules), and translated here when the problem answer
# is built. An English template's ``{name}`` matches any text, which the zh-CN one reuses.
_FIELD_EXACT: dict[str, str] = {}
_FIELD_PATTERNS: list[tuple[re.Pattern[str], str]] = []
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")

# msgspec's type names, as ``Expected `str | null`, got `int``` writes them.
_TYPE_NAMES = {
    "str": "字符串",
    "int": "整数",
    "float": "数字",
    "bool": "布尔值",
    "array": "数组",
    "object": "对象",
    "null": "空值",
}


def register_field_messages(messages: Mapping[str, str]) -> None:
    """English field message (or template with ``{name}`` parts) → its zh-CN text."""
    for english, chinese in messages.items():
        if _PLACEHOLDER.search(english) is None:
            _FIELD_EXACT[english] = chinese
            continue
        pattern = "".join(
            f"(?P<{piece}>.+?)" if index % 2 else re.escape(piece)
            for index, piece in enumerate(_PLACEHOLDER.split(english))
        )
        _FIELD_PATTERNS.append((re.compile(pattern), chinese))


def field_message(text: str, language: Language) -> str:
    """``errors[].message`` in ``language``; a text without a translation stays as written."""
    if language == "en":
        return text
    exact = _FIELD_EXACT.get(text)
    if exact is not None:
        return exact
    for pattern, chinese in _FIELD_PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            values = {
                name: _type_names(value) if name in ("type", "got") else value
                for name, value in found.groupdict().items()
            }
            return chinese.format_map(_SafeDict(values))
    return text


def _type_names(text: str) -> str:
    return "或".join(_TYPE_NAMES.get(part.strip(), part.strip()) for part in text.split("|"))


def field_messages() -> dict[str, str]:
    """Every registered English field message or template and its zh-CN text (for the tests)."""
    return {
        **_FIELD_EXACT,
        **{pattern.pattern: chinese for pattern, chinese in _FIELD_PATTERNS},
    }


def catalogue() -> dict[str, dict[Language, tuple[str, str]]]:
    """Every registered code and its texts (for the tests)."""
    return {code: dict(texts) for code, texts in _CATALOGUE.items()}


# Values that reach a detail through its parameters (a booking's ``status``), per parameter:
# the wire's value → its word in each language, so zh-CN does not read 「cancelled」.
_VALUE_LABELS: dict[str, dict[str, dict[Language, str]]] = {}


def register_value_labels(parameter: str, labels: Mapping[str, Mapping[Language, str]]) -> None:
    for value, by_language in labels.items():
        if set(by_language) != set(LANGUAGES):
            raise ValueError(f"label {parameter}={value!r} must have zh-CN and en")
        _VALUE_LABELS.setdefault(parameter, {})[value] = dict(by_language)


def _labelled(params: Mapping[str, Any], language: Language) -> dict[str, Any]:
    values = dict(params)
    for name, value in params.items():
        label = _VALUE_LABELS.get(name, {}).get(value) if isinstance(value, str) else None
        if label is not None:
            values[name] = label[language]
    return values


def known(code: str) -> bool:
    return code in _CATALOGUE


def negotiate(accept_language: str | None) -> Language:
    """Pick zh-CN or en from an ``Accept-Language`` header (q-values honoured).

    Any Chinese tag (``zh``, ``zh-TW``, ``zh-Hans-CN``) reads zh-CN, the only Chinese we write;
    anything unparseable falls back to zh-CN rather than failing the request.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    best: tuple[float, int, Language] | None = None
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        primary = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # ``not (0 < q <= 1)`` also rejects NaN, which compares false to everything.
        if not 0.0 < quality <= 1.0:
            continue
        language: Language | None
        if primary == "zh":
            language = "zh-CN"
        elif primary == "en":
            language = "en"
        else:
            language = None
        if language is None:
            continue
        candidate = (quality, -index, language)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else DEFAULT_LANGUAGE


def request_language(request: Request[Any, Any, Any]) -> Language:
    """The ``language`` dependency every handler can ask for: the caller's language."""
    return negotiate(request.headers.get("accept-language"))


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template(code: str, language: Language) -> tuple[str, str] | None:
    """The raw title and detail templates of ``code``, or ``None`` when it is not registered."""
    entry = _CATALOGUE.get(code)
    return entry[language] if entry else None


def message(
    code: str, language: Language, params: Mapping[str, Any] | None = None
) -> tuple[str, str]:
    """Title and formatted detail for ``code``; unknown codes fall back to a generic text."""
    entry = _CATALOGUE.get(code) or _CATALOGUE["error"]
    title, detail = entry[language]
    return title, detail.format_map(_SafeDict(_labelled(params or {}, language)))


register(
    {
        "error": {
            "zh-CN": ("请求出错", "请求无法完成。"),
            "en": ("Request failed", "The request could not be completed."),
        },
        "validation_error": {
            "zh-CN": ("输入有误", "请求中有字段不符合要求。"),
            "en": ("Invalid input", "Some fields of the request are not valid."),
        },
        "invalid_json": {
            "zh-CN": ("请求体无法解析", "请求体不是有效的 JSON。"),
            "en": ("Malformed body", "The request body is not valid JSON."),
        },
        "unauthorized": {
            "zh-CN": ("未登录或登录已失效", "请提供有效的访问令牌。"),
            "en": ("Not authenticated", "A valid access token is required."),
        },
        "forbidden": {
            "zh-CN": ("没有权限", "当前账号无权执行此操作。"),
            "en": ("Forbidden", "Your account may not do this."),
        },
        "not_found": {
            "zh-CN": ("未找到", "请求的资源不存在。"),
            "en": ("Not found", "The requested resource does not exist."),
        },
        "method_not_allowed": {
            "zh-CN": ("不支持的请求方法", "此地址不支持该请求方法。"),
            "en": ("Method not allowed", "This path does not accept that method."),
        },
        "payload_too_large": {
            "zh-CN": ("请求体过大", "请求体超过了允许的大小。"),
            "en": ("Payload too large", "The request body is larger than allowed."),
        },
        "unsupported_media_type": {
            "zh-CN": ("不支持的内容类型", "请以 application/json 发送请求体。"),
            "en": ("Unsupported media type", "Send the body as application/json."),
        },
        "rate_limited": {
            "zh-CN": ("请求过于频繁", "请在 {retryAfter} 秒后重试。"),
            "en": ("Too many requests", "Try again in {retryAfter} seconds."),
        },
        "cors_refused": {
            "zh-CN": ("跨域请求被拒绝", "此来源、方法或请求头不允许跨域访问。"),
            "en": (
                "Cross-origin request refused",
                "This origin, method or request header may not call the API from a browser.",
            ),
        },
        "conflict": {
            "zh-CN": ("冲突", "请求与当前状态冲突。"),
            "en": ("Conflict", "The request conflicts with the current state."),
        },
        "internal_error": {
            "zh-CN": ("服务器内部错误", "服务暂时出现问题，请稍后重试（请求编号 {requestId}）。"),
            "en": (
                "Internal server error",
                "Something went wrong on our side; please retry later (request {requestId}).",
            ),
        },
        "service_unavailable": {
            "zh-CN": ("服务暂不可用", "服务暂时不可用，请稍后重试。"),
            "en": ("Service unavailable", "The service is temporarily unavailable."),
        },
        "invalid_cursor": {
            "zh-CN": ("分页游标无效", "cursor 参数无效或已过期。"),
            "en": ("Invalid cursor", "The cursor parameter is not valid."),
        },
        "idempotency_key_reused": {
            "zh-CN": ("幂等键被重复使用", "同一个 Idempotency-Key 已用于内容不同的请求。"),
            "en": (
                "Idempotency key reused",
                "This Idempotency-Key was already used with a different request.",
            ),
        },
        "idempotency_request_in_progress": {
            "zh-CN": ("请求处理中", "使用同一 Idempotency-Key 的请求仍在处理中，请稍后重试。"),
            "en": (
                "Request in progress",
                "A request with this Idempotency-Key is still being processed.",
            ),
        },
        "invalid_idempotency_key": {
            "zh-CN": ("幂等键无效", "Idempotency-Key 须为 1 到 200 个可见字符。"),
            "en": (
                "Invalid idempotency key",
                "Idempotency-Key must be 1 to 200 visible characters.",
            ),
        },
    }
)

register_field_messages(
    {
        # msgspec's and Litestar's.
        "Expected `{type}`, got `{got}`": "应为{type}，实际为{got}",
        "Expected `{type}` of length >= {n}": "长度至少为 {n}",
        "Expected `{type}` of length <= {n}": "长度最多为 {n}",
        "Expected `{type}` >= {n}": "不能小于 {n}",
        "Expected `{type}` <= {n}": "不能大于 {n}",
        "Expected `{type}` > {n}": "须大于 {n}",
        "Expected `{type}` < {n}": "须小于 {n}",
        "Expected `{type}` matching regex {pattern}": "格式不符合要求",
        "Expected `{type}` that is a multiple of {n}": "须为 {n} 的倍数",
        "Invalid enum value {value}": "不是可选的值：{value}",
        "Invalid RFC3339 encoded date": "不是有效的日期（如 2026-12-01）",
        "Invalid RFC3339 encoded datetime": "不是有效的时间（RFC 3339，含时区）",
        "Invalid RFC3339 encoded time": "不是有效的时刻",
        "Invalid UUID": "不是有效的编号",
        "Object missing required field `{field}`": "缺少必填字段",
        "Object contains unknown field `{field}`": "包含未知字段",
        "required": "必填",
        "invalid": "无效",
        # The core's own.
        "the key appears more than once": "同一字段出现了多次",
        "not a cursor this list gave out": "不是此列表给出的游标",
    }
)
