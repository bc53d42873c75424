"""The identity domain's error messages, in both languages the app speaks."""

from __future__ import annotations

from backend.core import i18n

i18n.register(
    {
        "invalid_phone": {
            "zh-CN": ("手机号无效", "请输入中国大陆手机号（11 位，以 1 开头）。"),
            "en": ("Invalid phone number", "Enter a mainland China mobile number (11 digits)."),
        },
        "phone_taken": {
            "zh-CN": ("手机号已注册", "该手机号已注册，请直接登录。"),
            "en": ("Phone number taken", "This phone number is already registered; log in."),
        },
        "weak_password": {
            "zh-CN": (
                "密码强度不足",
                "密码至少 8 位，不能全是数字，也不能是手机号。",
            ),
            "en": (
                "Weak password",
                "Use at least 8 characters, not only digits and not the phone number.",
            ),
        },
        "sms_code_invalid": {
            "zh-CN": ("验证码错误或已失效", "请检查验证码，或重新获取。"),
            "en": ("Invalid verification code", "The code is wrong or expired; request a new one."),
        },
        "sms_code_too_soon": {
            "zh-CN": ("验证码发送过于频繁", "请在 {retryAfter} 秒后再获取验证码。"),
            "en": ("Code requested too often", "Request a new code in {retryAfter} seconds."),
        },
        "sms_daily_limit": {
            "zh-CN": ("今日验证码次数已用完", "该手机号今天获取验证码的次数已达上限，请明天再试。"),
            "en": (
                "Daily code limit reached",
                "This phone number has had all its codes for today; try again tomorrow.",
            ),
        },
        "sms_unavailable": {
            "zh-CN": ("短信服务暂不可用", "暂时无法发送短信验证码，请稍后重试。"),
            "en": ("SMS unavailable", "Verification codes cannot be sent right now."),
        },
        "invalid_credentials": {
            "zh-CN": ("手机号或密码错误", "请检查手机号和密码。"),
            "en": ("Wrong phone number or password", "Check your phone number and password."),
        },
        "login_throttled": {
            "zh-CN": ("登录失败次数过多", "请在 {retryAfter} 秒后重试，或使用短信验证码登录。"),
            "en": (
                "Too many failed logins",
                "Try again in {retryAfter} seconds, or log in with an SMS code.",
            ),
        },
        "refresh_token_invalid": {
            "zh-CN": ("登录已失效", "刷新令牌无效或已过期，请重新登录。"),
            "en": ("Session expired", "The refresh token is invalid or expired; log in again."),
        },
        "refresh_token_reused": {
            "zh-CN": (
                "登录已失效",
                "该刷新令牌已被使用过，为保护账号安全，此设备的登录已全部失效，请重新登录。",
            ),
            "en": (
                "Session revoked",
                "This refresh token was already used; to protect the account, this login has "
                "been revoked. Log in again.",
            ),
        },
        "own_account": {
            "zh-CN": (
                "不能修改自己的账号",
                "管理员不能更改自己的角色或停用自己的账号，请由其他管理员操作。",
            ),
            "en": (
                "Not on your own account",
                "An admin cannot change their own role or disable their own account; ask "
                "another admin.",
            ),
        },
        "invalid_id_number": {
            "zh-CN": ("身份证号码无效", "请输入 18 位居民身份证号码。"),
            "en": ("Invalid ID number", "Enter a valid 18-digit resident ID number."),
        },
        "invalid_real_name": {
            "zh-CN": ("姓名无效", "请输入与身份证一致的姓名。"),
            "en": ("Invalid name", "Enter your name as it appears on your ID card."),
        },
        "verification_failed": {
            "zh-CN": (
                "实名认证未通过",
                "无法用这些信息完成本账号的实名认证。如身份证是您本人的，请携带身份证到社区服务中心办理。",
            ),
            "en": (
                "Verification failed",
                "These details cannot verify this account. If the ID card is yours, bring it to "
                "the community service centre.",
            ),
        },
        "already_verified": {
            "zh-CN": ("已完成实名认证", "本账号已用其他身份证号码完成实名认证。"),
            "en": ("Already verified", "This account is verified with another ID number."),
        },
        "invalid_birth_date": {
            "zh-CN": ("出生日期无效", "出生日期不能晚于今天，也不能早于 1900 年。"),
            "en": ("Invalid birth date", "The birth date cannot be in the future or before 1900."),
        },
        "member_limit_reached": {
            "zh-CN": ("家庭成员已达上限", "每户最多添加 {limit} 位家庭成员。"),
            "en": ("Household is full", "A household may have at most {limit} members."),
        },
        "member_in_use": {
            "zh-CN": ("家庭成员仍被使用", "该成员仍有报名或服务记录，暂时无法删除。"),
            "en": (
                "Member still in use",
                "This member still has registrations or services and cannot be removed yet.",
            ),
        },
    }
)

i18n.register_field_messages(
    {
        "must have at least {n} characters": "至少 {n} 个字符",
        "must not be only digits": "不能全是数字",
        "must not contain the phone number": "不能包含手机号",
        "must not start or end with spaces or contain control characters": (
            "首尾不能有空格，也不能含控制字符"
        ),
        "must not be in the future": "不能是将来的日期",
        "must not be before 1900": "不能早于 1900 年",
        "must not contain control characters": "不能含控制字符",
        "must be a mainland mobile number": "须为中国大陆手机号",
        "must not be empty": "不能为空",
        "at most {n} characters": "最多 {n} 个字符",
        "must be 17 digits followed by a digit or X": "须为 17 位数字加 1 位数字或 X",
        "region code is not a province of China": "地区码不是中国的省份",
        "birth date is not a real date": "出生日期不存在",
        "birth date is before 1900": "出生日期早于 1900 年",
        "birth date is in the future": "出生日期在将来",
        "check digit does not match": "校验位不符",
        "must be 2 to 30 Chinese characters as on the ID card": "须为 2 到 30 个汉字，与身份证一致",
    }
)
