"""HTTP: an invoice's collection timeline, operators' view of its state, and test clocks."""

from __future__ import annotations

from fastapi import APIRouter, Body

from duely_runtime.errors import ApiError, invalid
from duely_runtime.invoicing_client import InvoicingClient
from duely_runtime.kit.deps import Caller, DbSession, DbWriteSession
from duely_runtime.service import ServiceRuntime
from duely_dunning import reminders, service
from duely_dunning.config import Settings
from duely_dunning.domain.clock_arithmetic import InvalidAdvance, advance_seconds
from duely_dunning.live_state import LiveInvoices
from duely_dunning.org_clocks import Clock
from duely_dunning.schemas import (
    AdvanceTestClockIn, AdvanceTestClockOut, CollectionStateOut, InvoiceCollectionOut, ReminderOut, RemindRequest,
    TestClockOut, TimerOut,
)


def router(runtime: ServiceRuntime, clock: Clock, settings: Settings, invoicing: InvoicingClient | None = None,
           live: LiveInvoices | None = None) -> APIRouter:
    api = APIRouter()
    live = live or LiveInvoices(invoicing)

    def require_test_clocks() -> None:
        if not settings.test_clocks_allowed:
            raise ApiError(403, "test_clocks_unavailable", "Test clocks exist only for organizations in test mode.")

    async def known(session, organization_id: str, invoice_id: str) -> None:
        """An invoice invoicing issued a moment ago is known here at once (its event may still be on the way)."""
        await reminders.known_state(session, runtime.outbox, clock, invoicing, organization_id, invoice_id)

    @api.get("/v1/dunning/invoices/{invoice_id}", response_model=CollectionStateOut)
    async def get_collection_state(invoice_id: str, caller: Caller, session: DbWriteSession) -> CollectionStateOut:
        await known(session, caller.organization_id, invoice_id)
        state, timers = await service.collection_state(session, caller.organization_id, invoice_id)
        return CollectionStateOut.of(state, timers)

    @api.get("/v1/invoices/{invoice_id}/collection", response_model=InvoiceCollectionOut)
    async def get_invoice_collection(invoice_id: str, caller: Caller, session: DbWriteSession) -> InvoiceCollectionOut:
        """The invoice's collection timeline: planned and past actions, and what came back. (A write
        transaction: an invoice dunning has not heard of yet is fetched from invoicing and recorded.)"""
        await known(session, caller.organization_id, invoice_id)
        return InvoiceCollectionOut.of(*await service.invoice_collection(session, caller.organization_id, invoice_id))

    @api.post("/v1/invoices/{invoice_id}/remind", status_code=202, response_model=ReminderOut)
    async def remind_invoice(invoice_id: str, caller: Caller, session: DbSession,
                             body: RemindRequest | None = Body(default=None)) -> ReminderOut:
        """Remind the customer now (email, and SMS where chosen): at most one reminder per invoice per day."""
        body = body or RemindRequest()
        entry = await reminders.remind_now(session, runtime.outbox, clock, live, invoicing,
                                           organization_id=caller.organization_id, invoice_id=invoice_id,
                                           tone=body.tone, channels=list(body.channels) if body.channels else None)
        return ReminderOut.of(entry)

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
                                                  batch_size=settings.timer_batch_size, live=live)
        return AdvanceTestClockOut(**TestClockOut.of(result.clock).model_dump(exclude={"object"}),
                                   fired_timers=[TimerOut.of(t) for t in result.fired])

    return api
