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
        "unknown_care_provider": {
            "zh-CN": ("服务机构不存在", "没有这个居家养老服务机构。"),
            "en": ("Unknown care provider", "There is no such care provider."),
        },
    }
)

# Visits (check-in and check-out), confirmation, missed visits and the staff's statistics.
register(
    {
        "too_early_to_check_in": {
            "zh-CN": ("尚未到签到时间", "服务开始前 {minutes} 分钟起才能签到。"),
            "en": (
                "Too early to check in",
                "Check-in opens {minutes} minutes before the visit starts.",
            ),
        },
        "visit_missed": {
            "zh-CN": ("服务已错过", "开始时间已过 {minutes} 分钟，此次上门已记为未到。"),
            "en": (
                "Visit missed",
                "More than {minutes} minutes after the start: the visit counts as missed.",
            ),
        },
        "visit_already_checked_in": {
            "zh-CN": ("已签到", "此次上门已签到，不能重复签到。"),
            "en": ("Already checked in", "This visit was already checked in."),
        },
        "visit_already_checked_out": {
            "zh-CN": ("已签退", "此次上门已签退，不能重复签退。"),
            "en": ("Already checked out", "This visit was already checked out."),
        },
        "care_order_wrong_status": {
            "zh-CN": ("订单状态不允许此操作", "订单当前为「{status}」，不能执行此操作。"),
            "en": (
                "Not possible in this status",
                "The care order is {status}; this action does not apply.",
            ),
        },
    }
)

register_kinds(
    {
        "care_caregiver_arrived": {
            "zh-CN": ("护理员已到达", "{serviceName}的护理员已于 {checkedInAt} 签到上门。"),
            "en": (
                "Caregiver arrived",
                "The caregiver for {serviceName} checked in at {checkedInAt}.",
            ),
        },
        "care_visit_completed": {
            "zh-CN": ("服务已完成，请确认", "{serviceName}已完成，请确认并评价，如有异议可申诉。"),
            "en": (
                "Visit done: please confirm",
                "{serviceName} is done. Please confirm and rate it, or dispute it.",
            ),
        },
        "care_order_missed": {
            "zh-CN": ("上门服务未到", "原定 {startsAt} 的{serviceName}，护理员未按时签到。"),
            "en": (
                "Visit missed",
                "The caregiver did not check in for {serviceName} at {startsAt}.",
            ),
        },
        "care_order_disputed": {
            "zh-CN": ("服务被申诉", "{startsAt} 的{serviceName}被家属申诉：{reason}"),
            "en": (
                "Visit disputed",
                "The household disputes {serviceName} of {startsAt}: {reason}",
            ),
        },
    }
)
