"""HTTP: operators' view of an invoice's collection state, and test clocks."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.errors import ApiError, invalid
from duely_runtime.service import ServiceRuntime
from duely_dunning import service
from duely_dunning.org_clocks import Clock
from duely_dunning.domain.clock_arithmetic import InvalidAdvance, advance_seconds
from duely_dunning.schemas import AdvanceTestClockIn, AdvanceTestClockOut, CollectionStateOut, TestClockOut, TimerOut
from duely_dunning.config import Settings


def router(runtime: ServiceRuntime, clock: Clock, settings: Settings) -> APIRouter:
    api = APIRouter()
    # scope="function": commit before the response leaves, so a client never sees an
    # answer whose transaction then failed.
    transaction = Depends(runtime.session, scope="function")
    caller = Depends(runtime.authenticate)

    def require_test_clocks() -> None:
        if not settings.test_clocks_allowed:
            raise ApiError(403, "test_clocks_unavailable", "Test clocks exist only for organizations in test mode.")

    @api.get("/v1/dunning/invoices/{invoice_id}", response_model=CollectionStateOut)
    async def get_collection_state(invoice_id: str, principal: Principal = caller,
                                   session: AsyncSession = transaction) -> CollectionStateOut:
        state, timers = await service.collection_state(session, principal.organization_id, invoice_id)
        return CollectionStateOut.of(state, timers)

    @api.get("/v1/test_clocks/current", response_model=TestClockOut)
    async def get_test_clock(principal: Principal = caller, session: AsyncSession = transaction) -> TestClockOut:
        return TestClockOut.of(await service.read_test_clock(session, clock, principal.organization_id))

    @api.post("/v1/test_clocks/advance", response_model=AdvanceTestClockOut)
    async def advance_test_clock(body: AdvanceTestClockIn, principal: Principal = caller,
                                 session: AsyncSession = transaction) -> AdvanceTestClockOut:
        require_test_clocks()
        try:
            seconds = advance_seconds(body.days, body.seconds)
        except InvalidAdvance as exc:
            raise invalid(exc.param, exc.message) from None
        result = await service.advance_test_clock(session, runtime.outbox, clock, organization_id=principal.organization_id,
                                                  seconds=seconds, batch_size=settings.timer_batch_size)
        return AdvanceTestClockOut(**TestClockOut.of(result.clock).model_dump(exclude={"object"}),
                                   fired_timers=[TimerOut.of(t) for t in result.fired])

    return api
