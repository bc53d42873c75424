"""The zh-CN / en message catalogue and language negotiation.

Each domain registers its own messages (``register``) so the catalogue grows with the domains
without one file that every change touches. A message is a title and a detail template; the
detail is formatted with the parameters the error or notification carries.
"""

from __future__ import annotations

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
    return title, detail.format_map(_SafeDict(params or {}))


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
