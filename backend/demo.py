"""``qiyou demo``: a demo data set, loaded by each domain in turn; safe to run twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

# The domains' entry points, imported for what they register as they load (the room holds the
# hub calls back, message kinds, jobs): the app gets them through its routes, and ``qiyou demo``
# runs without the app. Without childcare's, its demo stopped at publishing a program ("no
# handler of childcare holds registered") in a process of its own.
from backend.assisted import demo as assisted_demo
from backend.assisted import service as _assisted  # noqa: F401
from backend.canteen import demo as canteen_demo
from backend.canteen import service as _canteen  # noqa: F401
from backend.childcare import demo as childcare_demo
from backend.childcare import demo_pickup as childcare_pickup_demo
from backend.childcare import service as _childcare  # noqa: F401
from backend.config import Settings
from backend.eldercare import demo as eldercare_demo
from backend.eldercare import service as _eldercare  # noqa: F401
from backend.events import demo as events_demo
from backend.events import service as _events  # noqa: F401
from backend.hub import demo as hub_demo
from backend.hub import service as _hub  # noqa: F401
from backend.identity import demo as identity_demo

Loader = Callable[[AsyncSession, Settings], Awaitable[list[str]]]

# Order matters: later loaders use the accounts and rooms earlier ones created.
LOADERS: list[Loader] = [
    identity_demo.load,
    hub_demo.load,
    events_demo.load,
    eldercare_demo.load,
    canteen_demo.load,
    assisted_demo.load,
    childcare_demo.load,
    childcare_pickup_demo.load,
]


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    summary: list[str] = []
    for loader in LOADERS:
        summary.extend(await loader(session, settings))
    return summary
