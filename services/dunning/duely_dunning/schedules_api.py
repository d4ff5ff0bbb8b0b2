"""HTTP: dunning schedules (the organization's default and its own; each edit of the steps is a new version)."""

from __future__ import annotations

from fastapi import APIRouter

from duely_runtime.kit.deps import Caller, DbSession, DbWriteSession
from duely_dunning import schedules
from duely_dunning.org_clocks import Clock
from duely_dunning.schemas import (
    DunningScheduleCreate, DunningScheduleList, DunningScheduleOut, DunningSchedulePatch,
)


def router(clock: Clock) -> APIRouter:
    api = APIRouter()

    @api.get("/v1/dunning_schedules", response_model=DunningScheduleList)
    async def list_dunning_schedules(caller: Caller, session: DbWriteSession) -> DunningScheduleList:
        rows = await schedules.list_schedules(session, caller.organization_id, clock.real())
        return DunningScheduleList(data=[DunningScheduleOut.of(row) for row in rows])

    @api.post("/v1/dunning_schedules", status_code=201, response_model=DunningScheduleOut)
    async def create_dunning_schedule(body: DunningScheduleCreate, caller: Caller,
                                      session: DbSession) -> DunningScheduleOut:
        return DunningScheduleOut.of(await schedules.create_schedule(
            session, caller.organization_id, name=body.name, steps=[s.model_dump() for s in body.steps],
            on_persistent_failure=list(body.on_persistent_failure), is_default=body.is_default, now=clock.real()))

    @api.get("/v1/dunning_schedules/{schedule_id}", response_model=DunningScheduleOut)
    async def get_dunning_schedule(schedule_id: str, caller: Caller, session: DbSession) -> DunningScheduleOut:
        return DunningScheduleOut.of(await schedules.get_schedule(session, caller.organization_id, schedule_id))

    @api.patch("/v1/dunning_schedules/{schedule_id}", response_model=DunningScheduleOut)
    async def update_dunning_schedule(schedule_id: str, body: DunningSchedulePatch, caller: Caller,
                                      session: DbSession) -> DunningScheduleOut:
        return DunningScheduleOut.of(await schedules.update_schedule(
            session, caller.organization_id, schedule_id, name=body.name,
            steps=None if body.steps is None else [s.model_dump() for s in body.steps],
            on_persistent_failure=None if body.on_persistent_failure is None else list(body.on_persistent_failure),
            is_default=body.is_default, now=clock.real()))

    return api
