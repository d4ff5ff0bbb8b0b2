"""HTTP: an invoice's collection timeline, operators' view of its state, and test clocks."""

from __future__ import annotations

from fastapi import APIRouter

from duely_runtime.errors import ApiError, invalid
from duely_runtime.kit.deps import Caller, DbSession
from duely_runtime.service import ServiceRuntime
from duely_dunning import service
from duely_dunning.config import Settings
from duely_dunning.domain.clock_arithmetic import InvalidAdvance, advance_seconds
from duely_dunning.org_clocks import Clock
from duely_dunning.schemas import (
    AdvanceTestClockIn, AdvanceTestClockOut, CollectionStateOut, InvoiceCollectionOut, TestClockOut, TimerOut,
)


def router(runtime: ServiceRuntime, clock: Clock, settings: Settings) -> APIRouter:
    api = APIRouter()

    def require_test_clocks() -> None:
        if not settings.test_clocks_allowed:
            raise ApiError(403, "test_clocks_unavailable", "Test clocks exist only for organizations in test mode.")

    @api.get("/v1/dunning/invoices/{invoice_id}", response_model=CollectionStateOut)
    async def get_collection_state(invoice_id: str, caller: Caller, session: DbSession) -> CollectionStateOut:
        state, timers = await service.collection_state(session, caller.organization_id, invoice_id)
        return CollectionStateOut.of(state, timers)

    @api.get("/v1/invoices/{invoice_id}/collection", response_model=InvoiceCollectionOut)
    async def get_invoice_collection(invoice_id: str, caller: Caller, session: DbSession) -> InvoiceCollectionOut:
        """The invoice's collection timeline: planned and past actions, and what came back."""
        return InvoiceCollectionOut.of(*await service.invoice_collection(session, caller.organization_id, invoice_id))

    @api.get("/v1/test_clocks/current", response_model=TestClockOut)
    async def get_test_clock(caller: Caller, session: DbSession) -> TestClockOut:
        return TestClockOut.of(await service.read_test_clock(session, clock, caller.organization_id))

    @api.post("/v1/test_clocks/advance", response_model=AdvanceTestClockOut)
    async def advance_test_clock(body: AdvanceTestClockIn, caller: Caller, session: DbSession) -> AdvanceTestClockOut:
        require_test_clocks()
        try:
            seconds = advance_seconds(body.days, body.seconds)
        except InvalidAdvance as exc:
            raise invalid(exc.param, exc.message) from None
        result = await service.advance_test_clock(session, runtime.outbox, clock,
                                                  organization_id=caller.organization_id, seconds=seconds,
                                                  batch_size=settings.timer_batch_size)
        return AdvanceTestClockOut(**TestClockOut.of(result.clock).model_dump(exclude={"object"}),
                                   fired_timers=[TimerOut.of(t) for t in result.fired])

    return api
