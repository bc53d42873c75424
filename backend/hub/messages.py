"""The hub's error and inbox texts, in zh-CN and en.

Inbox messages are rendered when read from their kind and ``data`` (``room``, ``when``,
``reason``, ``bookingId``), so a resident reads them in the language the app asks for then.
"""

from __future__ import annotations

from backend.core.i18n import register, register_field_messages, register_value_labels
from backend.notifications.messages import register_kinds

register(
    {
        "invalid_time_range": {
            "zh-CN": ("时间段无效", "结束时间必须晚于开始时间。"),
            "en": ("Invalid time range", "The end must be after the start."),
        },
        "slot_misaligned": {
            "zh-CN": ("时间未对齐时段", "开始和结束时间须落在每 {slotMinutes} 分钟的时段上。"),
            "en": (
                "Not on the slot grid",
                "Start and end must fall on the room's {slotMinutes}-minute slots.",
            ),
        },
        "outside_opening_hours": {
            "zh-CN": ("不在开放时间内", "所选时间不在场馆当天的开放时间内。"),
            "en": ("Outside opening hours", "The venue is not open for all of that time."),
        },
        "closure_conflicts_event": {
            "zh-CN": (
                "时段内有活动占用场地",
                "此时段内有 {count} 场已发布的活动占用场地。请先为活动更换场地或时间；"
                "确需关闭的，可由管理员强制关闭，活动将失去场地，并通知其工作人员和报名者。",
            ),
            "en": (
                "Events hold the room",
                "{count} published event(s) hold a room in that time (see events). Move them "
                "first; if the closure cannot wait, an admin may force it: the events lose "
                "their room and their staff and registrants are told.",
            ),
        },
        "room_closed": {
            "zh-CN": ("场地暂停开放", "所选时间场地暂停开放，请选择其他时间。"),
            "en": ("Room closed", "The room is closed for part of that time."),
        },
        "in_the_past": {
            "zh-CN": ("时间已过", "不能预约已经开始或过去的时段。"),
            "en": ("In the past", "That time has already begun or passed."),
        },
        "too_far_ahead": {
            "zh-CN": ("超出可预约范围", "最多可提前 {days} 天预约（至 {lastDay}）。"),
            "en": (
                "Too far ahead",
                "This room can be booked at most {days} days ahead (until {lastDay}).",
            ),
        },
        "duration_out_of_range": {
            "zh-CN": ("时长不符合要求", "预约时长须在 {minMinutes} 至 {maxMinutes} 分钟之间。"),
            "en": (
                "Duration out of range",
                "A booking lasts between {minMinutes} and {maxMinutes} minutes.",
            ),
        },
        "over_capacity": {
            "zh-CN": ("人数超出容量", "该场地最多容纳 {capacity} 人。"),
            "en": ("Over capacity", "The room holds at most {capacity} people."),
        },
        "booking_conflict": {
            "zh-CN": ("时段已被预约", "所选时段已被他人预约，请选择其他时间。"),
            "en": ("Slot taken", "Someone else has already booked that time."),
        },
        "booking_limit_reached": {
            "zh-CN": ("预约数量已达上限", "您在该场地最多可同时持有 {limit} 个有效预约。"),
            "en": (
                "Booking limit reached",
                "You may hold at most {limit} active bookings in this room.",
            ),
        },
        "cancel_cutoff_passed": {
            "zh-CN": ("已过取消期限", "开始前 {minutes} 分钟内不能自行取消，请联系社区工作人员。"),
            "en": (
                "Too late to cancel",
                "Bookings cannot be cancelled in the {minutes} minutes before they start; "
                "please contact the community worker.",
            ),
        },
        "invalid_status_transition": {
            "zh-CN": ("预约状态不允许此操作", "预约当前为「{status}」，不能执行此操作。"),
            "en": (
                "Not possible in this status",
                "The booking is {status}; this action does not apply.",
            ),
        },
        "booking_already_checked_in": {
            "zh-CN": ("已签到", "该预约已经签到。"),
            "en": ("Already checked in", "This booking has already been checked in."),
        },
        "outside_check_in_window": {
            "zh-CN": ("不在签到时间内", "签到时间为开始前 15 分钟至结束。"),
            "en": (
                "Outside the check-in window",
                "Check-in opens 15 minutes before the start and closes at the end.",
            ),
        },
        "no_show_too_early": {
            "zh-CN": ("尚未开始", "预约开始后才能标记为未到。"),
            "en": ("Not started yet", "A booking can be marked no-show only after it starts."),
        },
        "booking_ended": {
            "zh-CN": ("预约时间已过", "该预约的时间已经结束。"),
            "en": ("Booking is over", "The booking's time has already ended."),
        },
        "booking_held_by_event": {
            "zh-CN": (
                "活动占用",
                "该时段由活动或托管项目占用，请通过取消或修改活动（项目）来释放。",
            ),
            "en": (
                "Held by an event",
                "This hold belongs to an event or a childcare program; change or cancel that "
                "to release it.",
            ),
        },
        "not_a_worker": {
            "zh-CN": ("不是社区工作者", "只能为社区工作者账号分配场馆。"),
            "en": ("Not a worker", "Venues can be assigned only to community worker accounts."),
        },
        "invalid_opening_hours": {
            "zh-CN": ("开放时间有误", "每段开放时间须开始早于结束，且同一天内不能重叠。"),
            "en": (
                "Invalid opening hours",
                "Each interval must open before it closes, without overlaps on one day.",
            ),
        },
        "invalid_room_rules": {
            "zh-CN": ("预约规则有误", "最短与最长时长须为时段长度的整数倍，且最短不超过最长。"),
            "en": (
                "Invalid booking rules",
                "Minimum and maximum durations must be whole slots, minimum not above maximum.",
            ),
        },
        "invalid_recurrence": {
            "zh-CN": ("重复规则有误", "请提供 weeks 或 until 其中之一，且最多 52 周。"),
            "en": (
                "Invalid recurrence",
                "Give exactly one of weeks or until, covering at most 52 weeks.",
            ),
        },
    }
)

register_kinds(
    {
        "booking_approved": {
            "zh-CN": ("预约已通过", "您预约的{room}（{when}）已通过审核，请按时到场签到。"),
            "en": (
                "Booking approved",
                "Your booking of {room} ({when}) was approved. Please check in on time.",
            ),
        },
        "booking_rejected": {
            "zh-CN": ("预约未通过", "您预约的{room}（{when}）未通过审核。原因：{reason}"),
            "en": (
                "Booking declined",
                "Your booking of {room} ({when}) was declined. Reason: {reason}",
            ),
        },
        "booking_cancelled": {
            "zh-CN": ("预约已被取消", "您预约的{room}（{when}）已被工作人员取消。原因：{reason}"),
            "en": (
                "Booking cancelled",
                "Your booking of {room} ({when}) was cancelled by staff. Reason: {reason}",
            ),
        },
        "booking_closure": {
            "zh-CN": (
                "场地暂停开放，预约已取消",
                "因场地暂停开放，您预约的{room}（{when}）已取消。原因：{reason}",
            ),
            "en": (
                "Room closed: booking cancelled",
                "Your booking of {room} ({when}) was cancelled because the room is closed. "
                "Reason: {reason}",
            ),
        },
        "booking_reminder": {
            "zh-CN": ("预约即将开始", "您预约的{room}（{when}）即将开始，请按时到场签到。"),
            "en": (
                "Booking soon",
                "Your booking of {room} ({when}) starts soon. Please check in on time.",
            ),
        },
        "booking_no_show": {
            "zh-CN": ("预约记为未到", "您预约的{room}（{when}）未签到，已记为未到。"),
            "en": (
                "Marked as no-show",
                "You did not check in for {room} ({when}); the booking was marked no-show.",
            ),
        },
    }
)

register_value_labels(
    "status",
    {
        "pending": {"zh-CN": "待审核", "en": "pending"},
        "confirmed": {"zh-CN": "已确认", "en": "confirmed"},
        "rejected": {"zh-CN": "已拒绝", "en": "rejected"},
        "cancelled": {"zh-CN": "已取消", "en": "cancelled"},
        "checked_in": {"zh-CN": "已签到", "en": "checked in"},
        "no_show": {"zh-CN": "未到", "en": "no-show"},
    },
)

register_field_messages(
    {
        "must lie between the years 2000 and 2199": "须在 2000 年至 2199 年之间",
        "times are HH:MM, 00:00 to 24:00": "时间格式为 时:分，从 00:00 到 24:00",
        "opens must be before closes": "开门时间须早于关门时间",
        "overlaps another interval of the same weekday": "与同一天的另一时段重叠",
        "must be a multiple of slotMinutes": "须为时段长度的整数倍",
        "must be at least slotMinutes": "不能短于时段长度",
        "must be at least minMinutes": "不能短于最短时长",
    }
)
