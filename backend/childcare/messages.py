"""The childcare domain's error codes and notification kinds, in zh-CN and en."""

from __future__ import annotations

from backend.core.i18n import register
from backend.notifications.messages import register_kinds

register(
    {
        "age_not_eligible": {
            "zh-CN": ("年龄不符", "孩子在规定日期的月龄不在本项目的招收范围内。"),
            "en": (
                "Age not eligible",
                "On the program's reference date the child's age in months is outside its range.",
            ),
        },
        # One code for every childcare write about a member who is 18 or over: an enrolment,
        # a pickup list, the childcare health notes.
        "not_a_child": {
            "zh-CN": (
                "不是未成年家庭成员",
                "报名、接送人名单和托育健康信息只适用于未满 18 周岁的家庭成员。",
            ),
            "en": (
                "Not a child",
                "Enrolments, pickup lists and childcare health notes are for household members "
                "under 18.",
            ),
        },
        "verification_required": {
            "zh-CN": ("需要实名认证", "请先完成实名认证，再为孩子报名。"),
            "en": ("Verification required", "Verify your real name before applying for a child."),
        },
        "applications_not_open": {
            "zh-CN": ("尚未开始报名", "本项目的报名还没有开始。"),
            "en": ("Applications not open", "Applications for this program have not opened yet."),
        },
        "applications_closed": {
            "zh-CN": ("报名已截止", "本项目的报名已经截止。"),
            "en": ("Applications closed", "Applications for this program have closed."),
        },
        "already_applied": {
            "zh-CN": ("已报名", "这个孩子已经报名了本项目。"),
            "en": ("Already applied", "This child already has an application to this program."),
        },
        "program_not_draft": {
            "zh-CN": ("项目已发布", "项目发布后不能再发布，也不能修改时间、名额和招收规则。"),
            "en": (
                "Program not a draft",
                "A published program cannot be published again, nor its times, places or "
                "allocation changed.",
            ),
        },
        "not_a_lottery": {
            "zh-CN": ("不是摇号项目", "本项目按报名先后录取，没有摇号。"),
            "en": ("Not a lottery", "This program takes children first come, first served."),
        },
        "applications_still_open": {
            "zh-CN": ("报名尚未截止", "报名截止后才能摇号。"),
            "en": ("Applications still open", "The draw takes place after applications close."),
        },
        "already_drawn": {
            "zh-CN": ("已摇号", "本项目已经摇过号，结果已公布。"),
            "en": ("Already drawn", "This program's draw has taken place; its result stands."),
        },
        "not_offered": {
            "zh-CN": ("没有待确认的名额", "这份报名目前没有可接受或放弃的名额。"),
            "en": ("No offer", "This application holds no offer to accept or decline."),
        },
        "offer_expired": {
            "zh-CN": ("名额已过期", "确认期限已过，名额已转给候补。"),
            "en": ("Offer expired", "The offer's deadline has passed; the place moved on."),
        },
        "cannot_withdraw": {
            "zh-CN": ("不能退出", "这份报名已经结束，无需退出。"),
            "en": ("Cannot withdraw", "This application has already ended."),
        },
    }
)

register_kinds(
    {
        "childcare_offer_made": {
            "zh-CN": (
                "获得入托名额",
                "{childName}在「{programName}」摇号中获得名额，请在 {offerExpiresAt} 前确认。",
            ),
            "en": (
                "A place is offered",
                "{childName} was offered a place in “{programName}” in the draw. Accept it "
                "by {offerExpiresAt}.",
            ),
        },
        "childcare_waitlisted": {
            "zh-CN": (
                "进入候补",
                "「{programName}」摇号结果：{childName}排在候补第 {position} 位，"
                "有名额时会通知您。",
            ),
            "en": (
                "On the waiting list",
                "“{programName}” draw: {childName} is number {position} on the waiting list. "
                "You will be told when a place frees up.",
            ),
        },
        "childcare_waitlist_offer": {
            "zh-CN": (
                "候补转为名额",
                "「{programName}」有名额空出，已留给{childName}，请在 {offerExpiresAt} 前确认。",
            ),
            "en": (
                "A place freed up",
                "A place in “{programName}” freed up and is offered to {childName}. Accept it "
                "by {offerExpiresAt}.",
            ),
        },
        "childcare_offer_expired": {
            "zh-CN": (
                "名额已过期",
                "{childName}在「{programName}」的名额未在期限内确认，已转给下一位候补。",
            ),
            "en": (
                "Offer expired",
                "The place in “{programName}” offered to {childName} was not accepted in time "
                "and has passed to the next on the waiting list.",
            ),
        },
        "childcare_enrolled": {
            "zh-CN": ("入托成功", "{childName}已被「{programName}」录取。"),
            "en": ("Enrolled", "{childName} is enrolled in “{programName}”."),
        },
        "childcare_session_cancelled": {
            "zh-CN": (
                "托管活动取消",
                "「{programName}」{date} 的活动取消：{room}暂停开放，原因：{reason}。",
            ),
            "en": (
                "Session cancelled",
                "“{programName}” on {date} is cancelled: {room} is closed. Reason: {reason}",
            ),
        },
    }
)
