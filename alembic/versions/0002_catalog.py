"""catalog: the seven programs and their services

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

A data migration: the catalog is reference data, and a later change to its text is a new
migration, so the rows are written out here rather than imported from the application.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, name_zh, name_en, description_zh, description_en), in the order of the design.
PROGRAMS: list[tuple[str, str, str, str, str]] = [
    (
        "education",
        "优教",
        "Education",
        "“一小”托育与学习：课后托管、假期托管和面向各年龄段的学习课堂，让双职工家庭放心。",
        "The “one young” half of our showcase: after-school classes, holiday care and "
        "learning programs for every age, so that working families can rely on us.",
    ),
    (
        "medical",
        "优医",
        "Health",
        "家门口的医疗健康服务：家庭医生签约、健康体检和社区卫生服务站信息。",
        "Health care on the doorstep: family-doctor signing, health check-ups and "
        "community clinic information.",
    ),
    (
        "agriculture",
        "优农",
        "Farming",
        "为村社农户和种养殖户提供技术培训、政策信息和助农销售服务。",
        "Training, policy information and help with sales for village households and farmers.",
    ),
    (
        "eldercare",
        "优养",
        "Elderly care",
        "“一老”养老服务：居家上门、日间照料和社区老年食堂，让老人在家门口安享晚年。",
        "The “one old” half of our showcase: home-care visits, day care and the community "
        "elders' canteen, so that elders can age well close to home.",
    ),
    (
        "safety",
        "优安",
        "Safety",
        "平安社区：隐患随手报、安全提示和应急演练。",
        "A safe neighbourhood: report hazards, read safety notices, join emergency drills.",
    ),
    (
        "talent",
        "优才",
        "Talent",
        "为来高照工作、生活的人才和新居民提供安居和融入服务。",
        "Housing and settling-in services for talent and newcomers who work and live in Gaozhao.",
    ),
    (
        "integrity",
        "优廉",
        "Integrity",
        "阳光透明：公开社区事务，倾听居民意见。",
        "Open and accountable: community affairs in the open, residents' views heard.",
    ),
]

# program -> [(code, kind, audience, name_zh, name_en, description_zh, description_en)]
SERVICES: dict[str, list[tuple[str, str, str, str, str, str, str]]] = {
    "education": [
        (
            "after_school_classes",
            "childcare",
            "children",
            "课后托管",
            "After-school classes",
            "工作日放学后至 18:30，在三合一综合体的教室提供作业辅导、阅读和兴趣课程，"
            "面向 6–12 岁儿童，按学期报名。",
            "On school days from the end of lessons until 18:30 in the three-in-one complex's "
            "classrooms: homework help, reading and hobby classes for children aged 6–12, "
            "enrolled by term.",
        ),
        (
            "holiday_care",
            "childcare",
            "children",
            "假期托管",
            "Holiday care",
            "寒暑假期间的全日托管，安排学习、运动和社会实践，面向 6–12 岁儿童，按期报名。",
            "Full-day care in the winter and summer holidays with study, sport and outings, "
            "for children aged 6–12, enrolled by session.",
        ),
        (
            "learning_programs",
            "event",
            "all",
            "学习课堂",
            "Learning programs",
            "亲子阅读、科普实验、书法和老年智能手机课堂等公益课程，可在线报名。",
            "Free courses — family reading, science workshops, calligraphy, smartphone classes "
            "for seniors — with online registration.",
        ),
        (
            "cultural_events",
            "event",
            "families",
            "艳阳高照文化活动",
            "Yanyang Gaozhao cultural events",
            "“艳阳高照”品牌下的运河文化演出、非遗展示、讲座和节庆活动，由街道定期发布。",
            "Canal-culture performances, intangible-heritage shows, lectures and festivals "
            "under the “艳阳高照” brand, published by the sub-district through the year.",
        ),
        (
            "classroom_booking",
            "hub_booking",
            "all",
            "教室预约",
            "Classroom booking",
            "预约三合一综合体的教室和自习室，用于学习小组、培训和讲座。",
            "Book a classroom or study room in the three-in-one complex for study groups, "
            "training and talks.",
        ),
    ],
    "medical": [
        (
            "family_doctor",
            "info",
            "all",
            "家庭医生签约",
            "Family-doctor signing",
            "与社区卫生服务中心的家庭医生团队签约，享受健康档案、慢病随访和优先转诊。"
            "请携带身份证到社区卫生服务站办理。",
            "Sign up with a family-doctor team of the community health centre for a health "
            "record, chronic-disease follow-up and priority referrals. Bring your ID card to a "
            "community clinic to sign.",
        ),
        (
            "health_checkups",
            "event",
            "elderly",
            "健康体检",
            "Health check-ups",
            "65 岁及以上常住老人每年一次免费体检，以及面向全体居民的义诊活动，按场次报名。",
            "A free yearly check-up for residents aged 65 and over, and free clinics open to "
            "everyone, registered by session.",
        ),
        (
            "health_talks",
            "event",
            "all",
            "健康讲座",
            "Health talks",
            "慢病管理、合理用药和急救知识等健康讲座。",
            "Talks on living with chronic disease, the safe use of medicines and first aid.",
        ),
        (
            "community_clinics",
            "info",
            "all",
            "社区卫生服务站",
            "Community clinics",
            "辖区内社区卫生服务站的地址、开诊时间和服务项目。",
            "Addresses, opening hours and services of the community clinics in the sub-district.",
        ),
        (
            "gym_booking",
            "hub_booking",
            "all",
            "健身房预约",
            "Gym booking",
            "预约三合一综合体健身房的使用时段。",
            "Book a time slot in the three-in-one complex's gym.",
        ),
    ],
    "agriculture": [
        (
            "farming_training",
            "event",
            "all",
            "农技培训",
            "Farming skills training",
            "种植、养殖和农机安全等实用技术培训，由农技人员授课。",
            "Practical courses on crops, livestock and the safe use of farm machinery, taught "
            "by agricultural technicians.",
        ),
        (
            "farm_subsidies",
            "info",
            "all",
            "惠农政策",
            "Farm subsidies and policies",
            "耕地地力保护补贴、农机购置补贴等惠农政策的申领条件和办理方式。",
            "Who qualifies for farmland-protection and machinery subsidies, and how to apply.",
        ),
        (
            "farmers_market",
            "info",
            "all",
            "助农集市",
            "Farmers' market",
            "本地农产品集市的时间和地点，以及农户报名摆摊的方式。",
            "When and where the local produce market is held, and how farmers can take a stall.",
        ),
        (
            "village_affairs",
            "info",
            "all",
            "村务便民服务",
            "Village household services",
            "宅基地、土地承包和城乡居民社保等事项的办理指南。",
            "Guides to homestead, land-contract and residents' social-insurance matters.",
        ),
    ],
    "eldercare": [
        (
            "home_care_visits",
            "care_order",
            "elderly",
            "居家上门服务",
            "Home-care visits",
            "助洁、助浴、助医和陪护等上门服务，由签约服务人员按预约时间上门。",
            "Cleaning, bathing, help with doctor's visits and companionship at home by "
            "contracted carers, at a booked time.",
        ),
        (
            "day_care",
            "care_order",
            "elderly",
            "日间照料",
            "Day care",
            "白天在日间照料中心休息、用餐、康复和参加活动，适合需要照看的老人。",
            "Rest, meals, rehabilitation and activities by day at the day-care centre, for "
            "elders who need looking after.",
        ),
        (
            "elders_canteen",
            "info",
            "elderly",
            "老年食堂",
            "Elders' canteen",
            "三合一综合体老年食堂的开放时间、每周菜单和用餐优惠，60 岁及以上老人享受补贴。",
            "Opening hours, the weekly menu and meal prices of the elders' canteen in the "
            "three-in-one complex; residents aged 60 and over eat at a subsidised price.",
        ),
        (
            "activity_rooms",
            "hub_booking",
            "elderly",
            "老年活动室",
            "Activity rooms",
            "预约活动室开展棋牌、合唱、书画和舞蹈等活动。",
            "Book an activity room for chess and cards, choir, painting or dance.",
        ),
    ],
    "safety": [
        (
            "hazard_reports",
            "info",
            "all",
            "隐患随手报",
            "Report a hazard",
            "发现消防通道堵塞、电动车违规充电、井盖缺失等安全隐患，可通过街道平安热线或到"
            "社区服务站反映。",
            "Blocked fire exits, e-bikes charging indoors, a missing manhole cover: report "
            "them on the sub-district's safety hotline or at a community service station.",
        ),
        (
            "safety_notices",
            "info",
            "all",
            "安全提示",
            "Safety notices",
            "防汛防台、防范电信诈骗、燃气和用电安全等提示。",
            "Notices on floods and typhoons, telephone fraud, and gas and electrical safety.",
        ),
        (
            "safety_drills",
            "event",
            "all",
            "应急演练与培训",
            "Emergency drills and training",
            "消防演练、急救培训和防诈骗讲座，可在线报名。",
            "Fire drills, first-aid training and anti-fraud talks, with online registration.",
        ),
    ],
    "talent": [
        (
            "talent_apartments",
            "info",
            "all",
            "人才公寓",
            "Talent apartments",
            "人才公寓的申请条件、租金标准和申请流程。",
            "Who may apply for a talent apartment, the rents and how to apply.",
        ),
        (
            "newcomer_services",
            "info",
            "families",
            "新居民服务",
            "Services for newcomers",
            "居住登记、子女入学、社保和医保关系转移等事项的办理指南。",
            "Guides to residence registration, school places for children, and moving social "
            "and medical insurance.",
        ),
        (
            "talent_meetups",
            "event",
            "all",
            "人才沙龙",
            "Talent meetups",
            "行业交流、创业分享和青年联谊活动。",
            "Industry exchanges, start-up talks and social evenings for young professionals.",
        ),
        (
            "meeting_rooms",
            "hub_booking",
            "all",
            "共享会议室",
            "Shared meeting rooms",
            "预约三合一综合体的会议室，供创业团队和社会组织使用。",
            "Book a meeting room in the three-in-one complex for start-up teams and community "
            "organisations.",
        ),
    ],
    "integrity": [
        (
            "public_disclosure",
            "info",
            "all",
            "居务公开",
            "Public disclosure",
            "社区财务、民生项目和惠民资金使用情况的公开信息。",
            "Published accounts of community finances, livelihood projects and the use of "
            "public funds.",
        ),
        (
            "feedback_channel",
            "info",
            "all",
            "意见反馈",
            "Feedback channel",
            "对社区工作和工作人员的意见、建议和投诉渠道，限时答复。",
            "Where to send comments, suggestions and complaints about community work and "
            "staff; each is answered within a set time.",
        ),
        (
            "integrity_culture",
            "event",
            "all",
            "清廉文化活动",
            "Integrity culture events",
            "清廉文化讲座、展览和主题活动。",
            "Talks, exhibitions and themed events on clean governance.",
        ),
    ],
}


def upgrade() -> None:
    programs = op.create_table(
        "programs",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name_zh", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_programs")),
        sa.UniqueConstraint("position", name=op.f("uq_programs_position")),
    )
    services = op.create_table(
        "program_services",
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("program_code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.String(length=16), server_default="all", nullable=False),
        sa.Column("name_zh", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('hub_booking', 'event', 'care_order', 'childcare', 'info')",
            name=op.f("ck_program_services_kind_known"),
        ),
        sa.CheckConstraint(
            "audience IN ('all', 'elderly', 'children', 'families')",
            name=op.f("ck_program_services_audience_known"),
        ),
        sa.ForeignKeyConstraint(
            ["program_code"],
            ["programs.code"],
            name=op.f("fk_program_services_program_code_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_program_services")),
        sa.UniqueConstraint(
            "program_code", "position", name=op.f("uq_program_services_program_code")
        ),
    )
    op.bulk_insert(
        programs,
        [
            {
                "code": code,
                "position": position,
                "name_zh": name_zh,
                "name_en": name_en,
                "description_zh": description_zh,
                "description_en": description_en,
            }
            for position, (code, name_zh, name_en, description_zh, description_en) in enumerate(
                PROGRAMS, start=1
            )
        ],
    )
    op.bulk_insert(
        services,
        [
            {
                "code": code,
                "program_code": program,
                "position": position,
                "kind": kind,
                "audience": audience,
                "name_zh": name_zh,
                "name_en": name_en,
                "description_zh": description_zh,
                "description_en": description_en,
            }
            for program, rows in SERVICES.items()
            for position, (
                code,
                kind,
                audience,
                name_zh,
                name_en,
                description_zh,
                description_en,
            ) in enumerate(rows, start=1)
        ],
    )


def downgrade() -> None:
    op.drop_table("program_services")
    op.drop_table("programs")
