"""The eldercare domain's error codes, in zh-CN and en."""

from __future__ import annotations

from backend.core.i18n import register

register(
    {
        "not_an_elder": {
            "zh-CN": (
                "不是长者",
                "护理档案只能为 60 岁及以上的家庭成员，或已实名认证且年满 60 岁的本人建立。",
            ),
            "en": (
                "Not an elder",
                "A care profile is for a household member aged 60 or over, or for yourself "
                "once verified as aged 60 or over.",
            ),
        },
        "not_care_staff": {
            "zh-CN": ("不是护理人员账号", "只有调度员和护理员账号可以归属服务机构。"),
            "en": (
                "Not a care staff account",
                "Only dispatcher and caregiver accounts belong to a care provider.",
            ),
        },
        "unknown_care_provider": {
            "zh-CN": ("服务机构不存在", "没有这个居家养老服务机构。"),
            "en": ("Unknown care provider", "There is no such care provider."),
        },
    }
)
