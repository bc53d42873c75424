"""The eldercare domain's error codes, in zh-CN and en."""

from __future__ import annotations

from backend.core.i18n import register
from backend.notifications.messages import register_kinds

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
        "check_in_not_enabled": {
            "zh-CN": (
                "未开启平安报",
                "这位长者的护理档案没有开启每日平安报，请先在护理档案中开启。",
            ),
            "en": (
                "Daily check-in not enabled",
                "This elder's care profile has no daily check-in; switch it on in the profile.",
            ),
        },
        "already_reached": {
            "zh-CN": ("已记录联系", "已有工作人员记录联系到这位长者。"),
            "en": ("Already reached", "A worker has already recorded reaching this elder."),
        },
        "unknown_care_provider": {
            "zh-CN": ("服务机构不存在", "没有这个居家养老服务机构。"),
            "en": ("Unknown care provider", "There is no such care provider."),
        },
    }
)

# Notification kinds: ``data`` keys are the placeholders (``…At`` shown as local time).
register_kinds(
    {
        "care_check_in_missed": {
            "zh-CN": ("平安报未签到", "{name}到{dueAt}还没有报平安，请尽快联系确认。"),
            "en": ("Check-in missed", "{name} has not checked in by {dueAt}. Please get in touch."),
        },
        "care_check_in_escalated": {
            "zh-CN": (
                "平安报未签到，请上门或电话确认",
                "{name}（{address}）到{dueAt}仍未报平安，已提醒家属两小时。"
                "请联系或上门确认，并在工作台记录。",
            ),
            "en": (
                "Missed check-in: please reach the elder",
                "{name} ({address}) has not checked in since {dueAt}; the family was told two "
                "hours ago. Please call or visit, and record it in the staff app.",
            ),
        },
        "care_check_in_resolved": {
            "zh-CN": ("已补报平安", "{name}已于{checkedInAt}报平安。"),
            "en": ("Checked in after all", "{name} checked in at {checkedInAt}."),
        },
        "care_check_in_reached": {
            "zh-CN": ("社区已联系到长者", "社区工作人员{workerName}于{reachedAt}联系到了{name}。"),
            "en": (
                "The elder was reached",
                "{workerName} of the community reached {name} at {reachedAt}.",
            ),
        },
    }
)
