"""The error codes and notification kinds of safe drop-off and pickup, in zh-CN and en."""

from __future__ import annotations

from backend.core.i18n import register
from backend.notifications.messages import register_kinds

register(
    {
        "pickup_limit_reached": {
            "zh-CN": ("接送人已满", "每个孩子最多登记 {limit} 位接送人（含禁止接走的人）。"),
            "en": (
                "Too many pickup people",
                "A child has at most {limit} people on the list, blocked ones included.",
            ),
        },
        "child_not_enrolled": {
            "zh-CN": ("孩子未录取", "这个孩子没有被这个项目录取。"),
            "en": ("Child not enrolled", "This child is not enrolled in the program."),
        },
        "session_not_today": {
            "zh-CN": ("不是今天的课", "只能在课程当天签到和签退。"),
            "en": ("Not today's session", "Check-in and check-out happen on the session's day."),
        },
        "childcare_session_cancelled": {
            "zh-CN": ("课程已取消", "这一天的课程已取消。"),
            "en": ("Session cancelled", "The session of this day is cancelled."),
        },
        "child_already_checked_in": {
            "zh-CN": ("已签到", "孩子今天已签到。"),
            "en": ("Already checked in", "The child is already checked in for this session."),
        },
        "child_not_checked_in": {
            "zh-CN": ("未签到", "孩子没有签到，不能签退。"),
            "en": ("Not checked in", "The child was not checked in, so cannot be checked out."),
        },
        "child_already_checked_out": {
            "zh-CN": ("已被接走", "孩子已经签退。"),
            "en": ("Already picked up", "The child has already been checked out."),
        },
        "security_code_mismatch": {
            "zh-CN": ("接送码不正确", "接送码与本次签到的不一致，不能接走孩子。"),
            "en": (
                "Wrong security code",
                "The code is not this check-in's; the child stays in care.",
            ),
        },
        "pickup_id_mismatch": {
            "zh-CN": ("身份核验未通过", "证件号后四位与登记的不一致，不能接走孩子。"),
            "en": (
                "Identity not proven",
                "The last four characters of the ID do not match; the child stays in care.",
            ),
        },
        "pickup_not_authorized": {
            "zh-CN": ("禁止接走", "此人被监护人列为禁止接走孩子的人，已通知监护人。"),
            "en": (
                "Not allowed to take the child",
                "The guardians listed this person as someone who must never take the child; "
                "they have been alerted.",
            ),
        },
        "unknown_pickup": {
            "zh-CN": ("不在接送名单", "此人不在这个孩子的接送名单上。"),
            "en": ("Not on the list", "This person is not on the child's pickup list."),
        },
        "pickup_proof_required": {
            "zh-CN": ("需要核验", "请输入接送码，或选择接送人并输入其证件号后四位。"),
            "en": (
                "Proof required",
                "Give the security code, or the trusted person and their ID's last four.",
            ),
        },
        "absence_date_invalid": {
            "zh-CN": ("日期无效", "只能为项目尚未开始的课程日请假。"),
            "en": (
                "No such session ahead",
                "An absence is reported for a session of the program that has not started.",
            ),
        },
        "absence_already_reported": {
            "zh-CN": ("已请假", "这一天已经请过假。"),
            "en": ("Already reported", "An absence is already reported for this day."),
        },
    }
)

register_kinds(
    {
        "childcare_checked_in": {
            "zh-CN": (
                "孩子已签到",
                "{childName}已在{programName}签到（{checkedInAt}），接送码 {securityCode}。",
            ),
            "en": (
                "Checked in",
                "{childName} is checked in at {programName} ({checkedInAt}); "
                "pickup code {securityCode}.",
            ),
        },
        "childcare_checked_out": {
            "zh-CN": (
                "孩子已被接走",
                "{childName}已由{pickedUpBy}从{programName}接走（{checkedOutAt}）。",
            ),
            "en": (
                "Picked up",
                "{childName} was picked up from {programName} by {pickedUpBy} ({checkedOutAt}).",
            ),
        },
        "pickup_not_authorized": {
            "zh-CN": (
                "有禁止接走的人来接孩子",
                "{personName}试图从{programName}接走{childName}（{attemptedAt}），已被拒绝。",
            ),
            "en": (
                "A blocked person tried to take your child",
                "{personName} tried to take {childName} from {programName} ({attemptedAt}) "
                "and was refused.",
            ),
        },
        "childcare_pickup_failures": {
            "zh-CN": (
                "接孩子时多次核验失败",
                "有人在{programName}接{childName}时已{failures}次输错接送码或证件号（{attemptedAt}），"
                "孩子仍在园。",
            ),
            "en": (
                "Repeated failed pickup checks",
                "Someone picking up {childName} at {programName} gave a wrong code or ID "
                "{failures} times ({attemptedAt}); the child is still in care.",
            ),
        },
        "childcare_late_pickup": {
            "zh-CN": (
                "孩子还未被接走",
                "{childName}还在{programName}，课程已于{endsAt}结束。",
            ),
            "en": (
                "Not picked up yet",
                "{childName} is still at {programName}; the session ended at {endsAt}.",
            ),
        },
    }
)
