"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from backend.assisted.models import ActedFor, AssistedResident  # noqa: F401
from backend.canteen.models import (  # noqa: F401
    Canteen,
    CanteenSubsidy,
    Meal,
    MealOrder,
    MealReminderPref,
    MealReminderSent,
)
from backend.catalog.models import Program, ProgramService  # noqa: F401
from backend.childcare.models import (  # noqa: F401
    Application,
    Draw,
    ProgramTeacher,
    Session,
)
from backend.childcare.models import Program as ChildcareProgram  # noqa: F401
from backend.childcare.models_pickup import (  # noqa: F401
    Absence,
    Attendance,
    ChildProfile,
    LateAlert,
    Pickup,
)
from backend.core.base import metadata
from backend.core.models import IdempotencyKey
from backend.eldercare.models import (  # noqa: F401
    CareAllowanceMonth,
    CareOrder,
    CareProfile,
    CareProvider,
    CareProviderService,
    CareProviderStaff,
    CareService,
    CareVisit,
)
from backend.events.models import Event, Feedback, Registration  # noqa: F401
from backend.hub.models import Booking, Closure, Room, Venue, WorkerVenue  # noqa: F401
from backend.identity.models import AuthSession, HouseholdMember, RefreshToken, SmsCode, User
from backend.notifications.models import (  # noqa: F401
    Device,
    LoggedPush,
    Notification,
    NotificationPreference,
    PushDelivery,
    Reminder,
)

__all__ = [
    "AuthSession",
    "HouseholdMember",
    "IdempotencyKey",
    "Notification",
    "RefreshToken",
    "Reminder",
    "SmsCode",
    "User",
    "metadata",
]
