"""The eldercare domain's error codes and notification kinds, in zh-CN and en."""

from __future__ import annotations

from backend.core.i18n import register, register_field_messages
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
        "too_early_to_set_out": {
            "zh-CN": ("尚未到出发时间", "服务开始前 {minutes} 分钟起才能告知家属已出发。"),
            "en": (
                "Too early to set out",
                "You can tell the household you are on the way from {minutes} minutes before "
                "the visit starts.",
            ),
        },
        "already_on_the_way": {
            "zh-CN": ("已告知出发", "已告知家属您在路上，不能重复告知。"),
            "en": ("Already on the way", "The household was already told you are on the way."),
        },
    }
)

# Care orders (orders.py, dispatch.py).
register(
    {
        "care_profile_missing": {
            "zh-CN": (
                "尚未建立护理档案",
                "请先为这位长者填写护理档案（地址、紧急联系人），再预约上门服务。",
            ),
            "en": (
                "No care profile yet",
                "Fill in the elder's care profile (address, emergency contacts) before "
                "requesting a visit.",
            ),
        },
        "too_soon": {
            "zh-CN": ("时间太近", "上门服务需至少提前 30 分钟预约。"),
            "en": ("Too soon", "A visit must be requested at least 30 minutes ahead."),
        },
        "too_far": {
            "zh-CN": ("时间太远", "上门服务最多可提前 60 天预约。"),
            "en": ("Too far ahead", "A visit can be requested at most 60 days ahead."),
        },
        "service_not_offered": {
            "zh-CN": ("该机构不提供此服务", "所选服务机构不提供这项服务，请换一家或不指定机构。"),
            "en": (
                "Service not offered",
                "This care provider does not offer the service; choose another or leave the "
                "choice to us.",
            ),
        },
        "no_care_provider": {
            "zh-CN": ("暂无机构提供此服务", "目前没有服务机构提供这项服务。"),
            "en": ("No provider", "No care provider offers this service at present."),
        },
        "cancel_too_late": {
            "zh-CN": ("已过取消时间", "服务开始前 2 小时内不能自行取消，请联系服务机构。"),
            "en": (
                "Too late to cancel",
                "Within 2 hours of the visit only the care provider can cancel it; please call "
                "them.",
            ),
        },
        "care_order_invalid_status": {
            "zh-CN": ("订单状态不允许此操作", "服务订单当前为「{status}」，不能执行此操作。"),
            "en": (
                "Not possible in this status",
                "The care order is {status}; this is not possible any more.",
            ),
        },
        "visit_time_passed": {
            "zh-CN": ("服务时间已过", "服务开始时间已过，不能再派单。"),
            "en": ("Visit time passed", "The visit's time has passed; it cannot be assigned."),
        },
        "not_provider_caregiver": {
            "zh-CN": ("不是本机构护理员", "只能派给本服务机构的护理员。"),
            "en": (
                "Not this provider's caregiver",
                "An order is assigned only to a caregiver of its own care provider.",
            ),
        },
        "caregiver_busy": {
            "zh-CN": ("护理员时间冲突", "这位护理员在该时段已有其他服务。"),
            "en": ("Caregiver busy", "The caregiver has another visit at that time."),
        },
    }
)
register_field_messages(
    {
        "at least 30 minutes ahead": "至少提前 30 分钟",
        "at most 60 days ahead": "最多提前 60 天",
    }
)

register_kinds(
    {
        "care_order_requested": {
            "zh-CN": (
                "新的上门服务订单",
                "{elderName}预约了{serviceName}，时间 {startsAt}，请派单。",
            ),
            "en": (
                "New care order",
                "{elderName} asked for {serviceNameEn} at {startsAt}; please assign it.",
            ),
        },
        "care_order_assigned": {
            "zh-CN": (
                "已安排护理员",
                "{serviceName}（{startsAt}）由护理员{caregiverName}上门服务。",
            ),
            "en": (
                "Caregiver assigned",
                "{caregiverName} will come for {serviceNameEn} at {startsAt}.",
            ),
        },
        "care_visit_assigned": {
            "zh-CN": ("新的上门任务", "请于 {startsAt} 为{elderName}提供{serviceName}。"),
            "en": ("New visit", "{serviceNameEn} for {elderName} at {startsAt}."),
        },
        "care_visit_unassigned": {
            "zh-CN": ("上门任务已改派", "{startsAt} 为{elderName}的{serviceName}已改派他人。"),
            "en": (
                "Visit reassigned",
                "{serviceNameEn} for {elderName} at {startsAt} went to another caregiver.",
            ),
        },
        "care_order_cancelled": {
            "zh-CN": ("上门服务已取消", "{elderName}在 {startsAt} 的{serviceName}已取消：{reason}"),
            "en": (
                "Care visit cancelled",
                "{serviceNameEn} for {elderName} at {startsAt} is cancelled: {reason}",
            ),
        },
        "care_visit_reminder": {
            "zh-CN": (
                "上门服务提醒",
                "护理员{caregiverName}将于 {startsAt} 上门提供{serviceName}。",
            ),
            "en": (
                "Care visit soon",
                "{caregiverName} comes for {serviceNameEn} at {startsAt}.",
            ),
        },
        "care_visit_upcoming": {
            "zh-CN": ("上门任务提醒", "{startsAt} 为{elderName}提供{serviceName}，请准时到达。"),
            "en": ("Visit soon", "{serviceNameEn} for {elderName} at {startsAt}; be on time."),
        },
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
        "care_caregiver_arrived": {
            "zh-CN": (
                "护理员已到达",
                "护理员{caregiverName}已于 {checkedInAt} 到达，为{elderName}提供{serviceName}。",
            ),
            "en": (
                "Caregiver arrived",
                "{caregiverName} checked in at {checkedInAt} for {serviceNameEn} for {elderName}.",
            ),
        },
        "care_caregiver_on_the_way": {
            "zh-CN": (
                "护理员已出发",
                "护理员{caregiverName}已出发，前往为{elderName}提供 {startsAt} 的{serviceName}。",
            ),
            "en": (
                "Caregiver on the way",
                "{caregiverName} is on the way for {serviceNameEn} for {elderName} at {startsAt}.",
            ),
        },
        "care_order_auto_completed": {
            "zh-CN": (
                "服务已自动确认",
                "{elderName}的{serviceName}签退后 {hours} 小时内未确认，已自动完成。",
            ),
            "en": (
                "Visit confirmed automatically",
                "{serviceNameEn} for {elderName} was not confirmed within {hours} hours of the "
                "check-out and is now completed.",
            ),
        },
        "care_visit_completed": {
            "zh-CN": (
                "服务已完成，请确认",
                "{elderName}的{serviceName}已完成，请确认并评价；如有异议可申诉。",
            ),
            "en": (
                "Visit done: please confirm",
                "{serviceNameEn} for {elderName} is done. Please confirm and rate it, or "
                "dispute it.",
            ),
        },
        "care_order_missed": {
            "zh-CN": (
                "上门服务未到",
                "{elderName}原定 {startsAt} 的{serviceName}，护理员未按时签到。",
            ),
            "en": (
                "Visit missed",
                "No caregiver checked in for {serviceNameEn} for {elderName} at {startsAt}.",
            ),
        },
        "care_order_disputed": {
            "zh-CN": ("服务被申诉", "{elderName}在 {startsAt} 的{serviceName}被家属申诉：{reason}"),
            "en": (
                "Visit disputed",
                "The household disputes {serviceNameEn} for {elderName} at {startsAt}: {reason}",
            ),
        },
    }
)
