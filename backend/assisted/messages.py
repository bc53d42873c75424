"""The error codes of assisted residents, in zh-CN and en."""

from __future__ import annotations

from backend.core.i18n import register

register(
    {
        "id_number_registered": {
            "zh-CN": (
                "身份证号已有账号",
                "这个身份证号已绑定一个账号，不能再建代办账号。请与老人或其家属核实。",
            ),
            "en": (
                "ID number already registered",
                "This ID number is bound to an account already; no assisted account can be made "
                "for it. Check with the elder or their family.",
            ),
        },
    }
)
