"""The events domain's error codes and inbox messages, in zh-CN and en.

Inbox messages follow the inbox's convention (``backend/notifications/messages.py``): their
placeholders are keys of the notification's ``data`` — ``title``, ``startsAt`` (shown in
Asia/Shanghai), ``location``, ``reason``.
"""

from __future__ import annotations

from backend.core.i18n import register, register_field_messages
from backend.notifications.messages import register_kinds

register(
    {
        "registration_closed": {
            "zh-CN": ("报名未开放", "此活动当前不在报名时间内。"),
            "en": ("Registration closed", "Registration for this event is not open now."),
        },
        "already_registered": {
            "zh-CN": ("已报名", "您已报名此活动（含候补），如需更改请先取消原报名。"),
            "en": (
                "Already registered",
                "You already hold a registration (or waitlist place) for this event.",
            ),
        },
        "audience_mismatch": {
            "zh-CN": (
                "不符合参加条件",
                "老年活动须有 60 岁及以上的参加者，儿童活动须有 18 岁以下的参加者。",
            ),
            "en": (
                "Not for this audience",
                "An elders' event needs an attendee aged 60 or over, a children's event one "
                "under 18.",
            ),
        },
        "too_many_seats": {
            "zh-CN": ("人数超出限制", "每次报名最多 {max} 人。"),
            "en": ("Too many seats", "At most {max} seats per registration."),
        },
        "unknown_member": {
            "zh-CN": ("家庭成员无效", "所选家庭成员不属于您的家庭。"),
            "en": ("Unknown household member", "A chosen member is not in your household."),
        },
        "capacity_below_confirmed": {
            "zh-CN": ("容量不能低于已确认人数", "已确认 {confirmed} 个名额，容量不能少于此数。"),
            "en": (
                "Capacity below confirmed seats",
                "{confirmed} seats are confirmed; capacity cannot go below that.",
            ),
        },
        "event_not_draft": {
            "zh-CN": ("活动不是草稿", "只有草稿状态的活动可以发布。"),
            "en": ("Not a draft", "Only a draft can be published."),
        },
        "event_cancelled": {
            "zh-CN": ("活动已取消", "此活动已取消，不能再修改。"),
            "en": ("Event cancelled", "This event was cancelled and cannot change any more."),
        },
        "event_in_past": {
            "zh-CN": ("活动时间已过", "活动开始时间须在将来。"),
            "en": ("Event in the past", "The event must start in the future."),
        },
        "event_ended": {
            "zh-CN": ("活动已结束", "活动已结束，无法执行此操作。"),
            "en": ("Event over", "The event is over; this can no longer be done."),
        },
        "registration_not_cancellable": {
            "zh-CN": ("无法取消报名", "活动已开始或已签到，报名不能再取消。"),
            "en": (
                "Cannot cancel",
                "The event has started or you have checked in; the registration stays.",
            ),
        },
        "registration_already_cancelled": {
            "zh-CN": ("报名已取消", "此报名已经取消。"),
            "en": ("Already cancelled", "This registration is already cancelled."),
        },
        "check_in_closed": {
            "zh-CN": ("不在签到时间", "签到时间为活动开始前 2 小时至活动结束。"),
            "en": (
                "Check-in not open",
                "Check-in runs from 2 hours before the start to the end of the event.",
            ),
        },
        "ticket_not_found": {
            "zh-CN": ("票码无效", "此活动没有这个票码。"),
            "en": ("Unknown ticket", "This event has no such ticket."),
        },
        "ticket_cancelled": {
            "zh-CN": ("票已作废", "此票对应的报名已取消。"),
            "en": ("Ticket void", "The registration of this ticket was cancelled."),
        },
        "already_checked_in": {
            "zh-CN": ("已签到", "此票已于 {checkedInAt} 签到。"),
            "en": ("Already checked in", "This ticket was checked in at {checkedInAt}."),
        },
        "feedback_not_open": {
            "zh-CN": ("暂不能评价", "活动结束后才能评价。"),
            "en": ("Feedback not open", "Feedback opens when the event is over."),
        },
        "feedback_not_allowed": {
            "zh-CN": ("不能评价", "只有到场签到的居民可以评价此活动。"),
            "en": ("Feedback not allowed", "Only residents who checked in may give feedback."),
        },
        "feedback_already_given": {
            "zh-CN": ("已评价", "您已评价过此活动。"),
            "en": ("Feedback already given", "You have already rated this event."),
        },
    }
)

register_kinds(
    {
        "event_changed": {
            "zh-CN": (
                "活动时间或地点有变",
                "您报名的「{title}」有变动：现于 {startsAt} 在 {location} 举行。",
            ),
            "en": (
                "Event changed",
                "“{title}”, which you registered for, now takes place on {startsAt} at {location}.",
            ),
        },
        "event_cancelled": {
            "zh-CN": ("活动已取消", "您报名的「{title}」（{startsAt}）已取消。原因：{reason}"),
            "en": (
                "Event cancelled",
                "“{title}” on {startsAt}, which you registered for, is cancelled. Reason: {reason}",
            ),
        },
        "event_room_closed": {
            "zh-CN": (
                "活动场地暂停开放",
                "您报名的「{title}」（{startsAt}）原定场地{room}暂停开放，原因：{reason}。"
                "活动时间不变，新的地点将另行通知。",
            ),
            "en": (
                "Event room closed",
                "The room booked for “{title}” on {startsAt} ({room}) is closed. Reason: "
                "{reason}. The time stays; you will be told the new place.",
            ),
        },
        "event_room_lost": {
            "zh-CN": (
                "活动失去场地",
                "「{title}」（{startsAt}）占用的场地{room}已被关闭，原因：{reason}。"
                "活动已无场地，请更换场地或通知报名者；报名者已收到场地关闭通知。",
            ),
            "en": (
                "Event lost its room",
                "{room}, held for “{title}” on {startsAt}, was closed. Reason: {reason}. The "
                "event has no room now: choose another or tell the registrants, who were told "
                "the room is closed.",
            ),
        },
        "event_reminder": {
            "zh-CN": (
                "活动即将开始",
                "您报名的「{title}」将于 {startsAt} 在 {location} 举行，入场码见“我的报名”。",
            ),
            "en": (
                "Event soon",
                "“{title}”, which you registered for, takes place on {startsAt} at {location}; "
                "your ticket is under My registrations.",
            ),
        },
        "event_waitlist_promoted": {
            "zh-CN": (
                "候补成功",
                "您在「{title}」（{startsAt}）的候补已转为正式报名，入场码见“我的报名”。",
            ),
            "en": (
                "You have a place",
                "Your waitlist place for “{title}” on {startsAt} became a confirmed registration; "
                "your ticket is under My registrations.",
            ),
        },
    }
)

register_field_messages(
    {
        "must lie between the years 2000 and 2199": "须在 2000 年至 2199 年之间",
        "must be after startsAt": "须晚于开始时间",
        "must be after registrationOpensAt": "须晚于报名开始时间",
        "must not be after endsAt": "不能晚于结束时间",
        "must not exceed capacity": "不能超过容量",
        "must be in the future": "须为将来的时间",
        "no such room": "没有这个活动室",
        "an RFC 3339 time with offset, e.g. +08:00": "须为带时区的时间（RFC 3339，如 +08:00）",
        "names a member twice": "同一位成员出现了两次",
        "more members than seats": "成员数多于名额",
        "not a member of your household": "不是您家庭的成员",
    }
)
