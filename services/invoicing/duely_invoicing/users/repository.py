"""SQL for dashboard users, their one-use link tokens, sessions and sign-in attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.models import SignInAttempt, User, UserSession, UserToken
from duely_runtime.kit.writes import locked
from duely_runtime.retention import RetentionRule


async def get_user(session: AsyncSession, organization_id: str, user_id: str, *,
                   for_update: bool = False) -> User | None:
    stmt = select(User).where(User.organization_id == organization_id, User.id == user_id)
    if for_update:
        stmt = locked(stmt, session)
    return (await session.scalars(stmt)).first()


async def find_by_email(session: AsyncSession, organization_id: str, email: str) -> User | None:
    return (await session.scalars(select(User).where(User.organization_id == organization_id,
                                                     User.email == email))).first()


async def active_users_with_email(session: AsyncSession, email: str) -> list[User]:
    """Every organization's active user with this address, the most recently signed in first."""
    return list((await session.scalars(
        select(User).where(User.email == email, User.status == "active")
        .order_by(User.last_sign_in_at.desc().nulls_last(), User.created_at, User.id))).all())


async def list_users(session: AsyncSession, organization_id: str) -> list[User]:
    return list((await session.scalars(select(User).where(User.organization_id == organization_id)
                                       .order_by(User.created_at, User.id))).all())


async def count_active_owners(session: AsyncSession, organization_id: str) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(
        User.organization_id == organization_id, User.role == "owner", User.status == "active")) or 0


async def use_token(session: AsyncSession, token_hash: str, now: datetime) -> UserToken | None:
    """Mark an unused, unexpired token used and return it; None when it is unknown, used or expired (two
    redemptions at once: one wins)."""
    used = await session.execute(update(UserToken).where(
        UserToken.token_hash == token_hash, UserToken.used_at.is_(None), UserToken.expires_at > now,
    ).values(used_at=now))
    if used.rowcount != 1:
        return None
    return await session.get(UserToken, token_hash)


async def find_token(session: AsyncSession, token_hash: str) -> UserToken | None:
    return await session.get(UserToken, token_hash)


async def live_session(session: AsyncSession, token_hash: str, now: datetime,
                       idle_since: datetime) -> tuple[UserSession, User] | None:
    """The session with this token and its user, while neither revoked, expired, idle too long nor removed."""
    row = (await session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash, UserSession.revoked_at.is_(None),
               UserSession.expires_at > now, UserSession.last_seen_at > idle_since, User.status == "active")
    )).first()
    return (row[0], row[1]) if row else None


async def revoke_session(session: AsyncSession, token_hash: str, now: datetime) -> None:
    await session.execute(update(UserSession).where(UserSession.token_hash == token_hash,
                                                    UserSession.revoked_at.is_(None)).values(revoked_at=now))


async def revoke_user_sessions(session: AsyncSession, user_id: str, now: datetime) -> None:
    await session.execute(update(UserSession).where(UserSession.user_id == user_id,
                                                    UserSession.revoked_at.is_(None)).values(revoked_at=now))


async def spend_user_tokens(session: AsyncSession, user_id: str, now: datetime) -> None:
    """Every link of the user still unused stops working (the user was removed)."""
    await session.execute(update(UserToken).where(UserToken.user_id == user_id, UserToken.used_at.is_(None))
                          .values(used_at=now))


async def touch_session(session: AsyncSession, session_id: str, now: datetime) -> None:
    await session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))


async def count_attempts(session: AsyncSession, kind: str, since: datetime, *, email: str | None = None,
                         client_ip: str | None = None) -> int:
    stmt = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.kind == kind,
                                                                  SignInAttempt.attempted_at > since)
    if email is not None:
        stmt = stmt.where(SignInAttempt.email == email)
    if client_ip is not None:
        stmt = stmt.where(SignInAttempt.client_ip == client_ip)
    return await session.scalar(stmt) or 0


def attempts_rule(window: timedelta) -> RetentionRule:
    """Sign-in attempts are kept as long as the rate limit looks back, and a little more."""
    table = SignInAttempt.__table__
    return RetentionRule("sign_in_attempts", table, table.c.attempted_at, window)
