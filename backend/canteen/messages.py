"""The canteen's error codes and notification kinds, in zh-CN and en, and the meals' labels."""

from __future__ import annotations

from backend.core.i18n import Language, register
from backend.notifications.messages import register_kinds

# The labels of the meal kinds (dish names are the canteen's own text and are not translated).
MEAL_LABELS: dict[str, dict[Language, str]] = {
    "lunch": {"zh-CN": "午餐", "en": "Lunch"},
    "dinner": {"zh-CN": "晚餐", "en": "Dinner"},
}


def meal_label(meal: str, language: Language) -> str:
    return MEAL_LABELS[meal][language]


register(
    {
        "sold_out": {
            "zh-CN": ("已订完", "这一餐的份数已经订完了。"),
            "en": ("Sold out", "There are not enough portions of this meal left."),
        },
        "order_closed": {
            "zh-CN": ("已过订餐截止时间", "这一餐已停止订餐或退订。"),
            "en": (
                "Ordering closed",
                "This meal's order cutoff has passed (or the meal was cancelled).",
            ),
        },
        "already_ordered": {
            "zh-CN": ("已经订过", "这位用餐人已经订了这一餐。"),
            "en": ("Already ordered", "This diner already has an order for this meal."),
        },
        "delivery_not_allowed": {
            "zh-CN": (
                "不能送餐",
                "送餐只提供给护理档案中护理等级为 2 级及以上的长者。",
            ),
            "en": (
                "Delivery not allowed",
                "Meals are delivered only to elders whose care profile shows care level 2 "
                "or higher.",
            ),
        },
        "outside_delivery_area": {
            "zh-CN": ("不在送餐范围内", "长者的住址不在这家食堂的送餐范围内。"),
            "en": (
                "Outside the delivery area",
                "The elder's home is outside this canteen's delivery area.",
            ),
        },
        "order_already_cancelled": {
            "zh-CN": ("订单已取消", "这份订单已经取消了。"),
            "en": ("Order already cancelled", "This order is already cancelled."),
        },
        "order_not_cancellable": {
            "zh-CN": ("订单不能取消", "已取餐或已送达的订单不能取消。"),
            "en": ("Order not cancellable", "An order already handed over cannot be cancelled."),
        },
        "pickup_code_not_found": {
            "zh-CN": ("取餐码无效", "没有这个取餐码的订单。"),
            "en": ("Unknown pickup code", "No order has this pickup code."),
        },
        "already_collected": {
            "zh-CN": ("已经取过餐", "这份订单已经取餐或送达。"),
            "en": ("Already collected", "This order was already collected or delivered."),
        },
        "order_cancelled": {
            "zh-CN": ("订单已取消", "这份订单已取消，不能取餐。"),
            "en": ("Order cancelled", "This order was cancelled and cannot be handed over."),
        },
        "not_meal_day": {
            "zh-CN": ("不是用餐日", "只能在这一餐当天取餐或送餐。"),
            "en": ("Not the meal's day", "An order is handed over on the meal's date only."),
        },
        "not_a_delivery": {
            "zh-CN": ("不是送餐订单", "这份订单是到店取餐，不是送餐。"),
            "en": ("Not a delivery", "This order is collected at the counter, not delivered."),
        },
        "meal_exists": {
            "zh-CN": ("这一餐已发布", "这家食堂当天的这一餐已经发布。"),
            "en": ("Meal exists", "This canteen already serves this meal on that day."),
        },
        "meal_in_past": {
            "zh-CN": ("订餐时间已过", "这一餐的订餐截止时间已经过去。"),
            "en": ("Meal in the past", "This meal's order cutoff has already passed."),
        },
        "meal_already_cancelled": {
            "zh-CN": ("这一餐已取消", "这一餐已经取消了。"),
            "en": ("Meal already cancelled", "This meal is already cancelled."),
        },
        "meal_served": {
            "zh-CN": ("这一餐已供应完毕", "供餐时间已过，不能再取消。"),
            "en": ("Meal served", "This meal's service is over; it cannot be cancelled."),
        },
        "unknown_venue": {
            "zh-CN": ("场馆不存在", "没有这个场馆。"),
            "en": ("Unknown venue", "There is no such venue."),
        },
        "unknown_canteen": {
            "zh-CN": ("食堂不存在", "没有这家长者食堂。"),
            "en": ("Unknown canteen", "There is no such canteen."),
        },
    }
)

register_kinds(
    {
        "meal_order_confirmed": {
            "zh-CN": (
                "订餐成功",
                "{dinerName}的{date}{mealZh}（{canteen}）已订好，共{portions}份，"
                "应付{payableYuan}元。取餐码在订单里。",
            ),
            "en": (
                "Meal ordered",
                "{mealEn} on {date} at {canteen} for {dinerName} is ordered: {portions} "
                "portion(s), {payableYuan} yuan to pay. The pickup code is in the order.",
            ),
        },
        "meal_cancelled": {
            "zh-CN": (
                "这一餐已取消",
                "{canteen}{date}的{mealZh}已取消，您的订单随之取消，不收费用。原因：{reason}",
            ),
            "en": (
                "Meal cancelled",
                "{mealEn} on {date} at {canteen} is cancelled, and your order with it; you "
                "pay nothing. Reason: {reason}",
            ),
        },
        "meal_order_reminder": {
            "zh-CN": (
                "订餐提醒",
                "{canteen}{date}的{mealZh}将于{closesAt}截止订餐，您还没有订。",
            ),
            "en": (
                "Order your meal",
                "Ordering {mealEn} on {date} at {canteen} closes at {closesAt}; you have not "
                "ordered yet.",
            ),
        },
    }
)
