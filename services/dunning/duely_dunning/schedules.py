"""Dunning schedules: the organization's default (the product description's, created the first time it is
needed), schedules of its own, and their versions. Editing the steps makes a new version; an invoice
already in dunning keeps the version it started with, so its past and pending steps do not change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.errors import invalid, not_found
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.writes import insert_ignore
from duely_dunning.domain.dunning_plan import (
    DEFAULT_ON_PERSISTENT_FAILURE, DEFAULT_SCHEDULE_NAME, DEFAULT_STEPS, ScheduleProblem, ScheduleVersion,
    validated_persistent_failure, validated_steps,
)
from duely_dunning.models import DunningSchedule, DunningScheduleVersion

MAX_SCHEDULES = 100


def _checked(steps: list[dict] | None, on_persistent_failure: list[str] | None) -> tuple[list | None, list | None]:
    try:
        return (None if steps is None else validated_steps(steps),
                None if on_persistent_failure is None else validated_persistent_failure(on_persistent_failure))
    except ScheduleProblem as problem:
        raise invalid(problem.param, problem.message) from None


async def _add_version(session: AsyncSession, schedule: DunningSchedule, now: datetime) -> None:
    await insert_ignore(session, DunningScheduleVersion.__table__, {
        "schedule_id": schedule.id, "version": schedule.version, "organization_id": schedule.organization_id,
        "steps": schedule.steps, "on_persistent_failure": schedule.on_persistent_failure, "created_at": now})


async def default_schedule(session: AsyncSession, organization_id: str, now: datetime) -> DunningSchedule:
    """The organization's default schedule, created from the product's default the first time it is needed
    (a unique index keeps it to one however many ask at once)."""
    found = await _default_of(session, organization_id)
    if found is not None:
        return found
    schedule_id = new_id("dsch")
    inserted = await insert_ignore(session, DunningSchedule.__table__, {
        "id": schedule_id, "organization_id": organization_id, "name": DEFAULT_SCHEDULE_NAME, "is_default": True,
        "version": 1, "steps": DEFAULT_STEPS, "on_persistent_failure": DEFAULT_ON_PERSISTENT_FAILURE,
        "created_at": now, "updated_at": now})
    schedule = await _default_of(session, organization_id)
    assert schedule is not None
    if inserted:
        await _add_version(session, schedule, now)
    return schedule


async def _default_of(session: AsyncSession, organization_id: str) -> DunningSchedule | None:
    return (await session.execute(select(DunningSchedule).where(
        DunningSchedule.organization_id == organization_id, DunningSchedule.is_default.is_(True)))).scalar_one_or_none()


async def get_schedule(session: AsyncSession, organization_id: str, schedule_id: str) -> DunningSchedule:
    schedule = await session.get(DunningSchedule, schedule_id)
    if schedule is None or schedule.organization_id != organization_id:
        raise not_found("dunning schedule", schedule_id, param="id")
    return schedule


async def list_schedules(session: AsyncSession, organization_id: str, now: datetime) -> list[DunningSchedule]:
    await default_schedule(session, organization_id, now)
    return list((await session.execute(select(DunningSchedule).where(
        DunningSchedule.organization_id == organization_id)
        .order_by(DunningSchedule.created_at, DunningSchedule.id).limit(MAX_SCHEDULES))).scalars())


async def create_schedule(session: AsyncSession, organization_id: str, *, name: str, steps: list[dict],
                          on_persistent_failure: list[str], is_default: bool, now: datetime) -> DunningSchedule:
    checked_steps, checked_failure = _checked(steps, on_persistent_failure)
    existing = await list_schedules(session, organization_id, now)  # the default among them, made if need be
    current_default = next(schedule for schedule in existing if schedule.is_default)
    if len(existing) >= MAX_SCHEDULES:
        raise invalid("name", f"An organization has at most {MAX_SCHEDULES} dunning schedules.")
    if is_default:
        current_default.is_default = False
        await session.flush()
    schedule = DunningSchedule(id=new_id("dsch"), organization_id=organization_id, name=name, is_default=is_default,
                               version=1, steps=checked_steps, on_persistent_failure=checked_failure,
                               created_at=now, updated_at=now)
    session.add(schedule)
    await session.flush()
    await _add_version(session, schedule, now)
    return schedule


async def update_schedule(session: AsyncSession, organization_id: str, schedule_id: str, *, name: str | None,
                          steps: list[dict] | None, on_persistent_failure: list[str] | None,
                          is_default: bool | None, now: datetime) -> DunningSchedule:
    """Rename, re-step (a new version) or make the default. Unsetting the default is done by making
    another schedule the default (an organization always has one)."""
    schedule = await get_schedule(session, organization_id, schedule_id)
    checked_steps, checked_failure = _checked(steps, on_persistent_failure)
    if is_default is False and schedule.is_default:
        raise invalid("is_default", "Make another schedule the default instead: an organization always has one.")
    if name is not None:
        schedule.name = name
    changed = (checked_steps is not None and checked_steps != schedule.steps) or \
              (checked_failure is not None and checked_failure != schedule.on_persistent_failure)
    if changed:
        schedule.steps = checked_steps if checked_steps is not None else schedule.steps
        schedule.on_persistent_failure = checked_failure if checked_failure is not None \
            else schedule.on_persistent_failure
        schedule.version += 1
    if is_default and not schedule.is_default:
        await session.execute(update(DunningSchedule).where(
            DunningSchedule.organization_id == organization_id, DunningSchedule.is_default.is_(True))
            .values(is_default=False).execution_options(synchronize_session=False))
        await session.flush()
        schedule.is_default = True
    schedule.updated_at = now
    await session.flush()
    if changed:
        await _add_version(session, schedule, now)
    return schedule


async def version_for_invoice(session: AsyncSession, organization_id: str, schedule_id: str | None,
                              now: datetime) -> tuple[ScheduleVersion, str | None]:
    """The schedule an invoice starts dunning under, at its current version: the one its settings name, or
    the organization's default (with why, when a named one is not there)."""
    fallback_reason = None
    schedule = None
    if schedule_id:
        schedule = await session.get(DunningSchedule, schedule_id)
        if schedule is None or schedule.organization_id != organization_id:
            schedule, fallback_reason = None, "schedule_not_found_default_used"
    if schedule is None:
        schedule = await default_schedule(session, organization_id, now)
    return ScheduleVersion(schedule.id, schedule.version, list(schedule.steps),
                           list(schedule.on_persistent_failure)), fallback_reason
