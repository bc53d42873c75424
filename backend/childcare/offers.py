"""The offers' deadline: a periodic job expires the offers not accepted in time and passes each
place to the next on the waitlist (who is told), a transaction per program."""

from __future__ import annotations

from backend.childcare.applications import expire_offers, programs_with_expired_offers
from backend.jobs import JobContext, periodic

EXPIRE_OFFERS_CRON = "* * * * *"


@periodic("childcare_expire_offers", cron=EXPIRE_OFFERS_CRON)
async def expire_due_offers(ctx: JobContext) -> None:
    now = ctx.clock.now()
    async with ctx.sessions() as session:
        program_ids = await programs_with_expired_offers(session, now=now)
    for program_id in program_ids:
        async with ctx.sessions() as session, session.begin():
            await expire_offers(session, program_id, now=now)
