"""The dashboard's way in: password sign-in, sign-in links by email, invite and link redemption, sessions.

A session token (`dsess_...`) is a bearer credential on the public API like an API key: other services
verify its hash through /internal/auth/verify and get the user's organization, the session id (as
`api_key_id`), the user's current role and id. A session ends when signed out, when its user is removed,
after `dashboard_session_idle_s` without use, or `dashboard_session_max_s` after it began.

Failed sign-ins and link requests are counted per email and per client IP over 15 minutes: the 6th
failure for an email (or the 21st from an IP) is refused with 429 before any password is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import events
from duely_invoicing.models import Organization, SignInAttempt, User, UserSession, UserToken
from duely_invoicing.organizations import repository as organizations_repository
from duely_invoicing.users import passwords, repository, tokens
from duely_runtime.auth import Principal
from duely_runtime.errors import ApiError, invalid
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox

ATTEMPT_WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
MAX_PER_IP = 20
SIGN_IN_LINK_TTL = timedelta(minutes=15)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often per session


@dataclass(frozen=True)
class SessionRules:
    idle: timedelta
    max_age: timedelta


@dataclass(frozen=True)
class Started:
    token: str
    session: UserSession
    user: User
    organization: Organization


def failed() -> ApiError:
    return ApiError(401, "sign_in_failed", "The email or password is wrong.")


def _normal(email: str) -> str:
    return email.strip().lower()


async def _check_rate(session: AsyncSession, kind: str, email: str, client_ip: str, now: datetime) -> None:
    since = now - ATTEMPT_WINDOW
    if (await repository.count_attempts(session, kind, since, email=email) >= MAX_PER_EMAIL
            or await repository.count_attempts(session, kind, since, client_ip=client_ip) >= MAX_PER_IP):
        raise ApiError(429, "too_many_attempts", "Too many attempts: wait 15 minutes, then try again.")


async def start_session(session: AsyncSession, user: User, rules: SessionRules, now: datetime) -> Started:
    token = tokens.new_session_token()
    row = UserSession(id=new_id("uss"), token_hash=tokens.token_hash(token), user_id=user.id,
                      organization_id=user.organization_id, created_at=now, last_seen_at=now,
                      expires_at=now + rules.max_age)
    session.add(row)
    user.last_sign_in_at = now
    await session.flush()
    organization = await organizations_repository.get_organization(session, user.organization_id)
    return Started(token, row, user, organization)


async def sign_in(session: AsyncSession, email: str, password: str, client_ip: str,
                  rules: SessionRules) -> Started | None:
    """A session for the active user with this email and password; None otherwise (the same for an unknown
    email; the failure is recorded: commit, then answer 401 sign_in_failed); 429 once too many attempts failed. With the same email in several organizations, the one whose
    password matches (the most recently used first)."""
    email, now = _normal(email), utcnow()
    await _check_rate(session, "sign_in", email, client_ip, now)
    candidates = await repository.active_users_with_email(session, email)
    for user in candidates or [None]:
        if await passwords.verify_password(user.password_hash if user else None, password) and user:
            return await start_session(session, user, rules, now)
    session.add(SignInAttempt(email=email, client_ip=client_ip, kind="sign_in", attempted_at=now))
    return None


async def request_link(session: AsyncSession, outbox: Outbox, email: str, client_ip: str, dashboard_url: str) -> None:
    """Email a sign-in link to each active user with this address (none: nothing, and the same answer)."""
    email, now = _normal(email), utcnow()
    await _check_rate(session, "link", email, client_ip, now)
    session.add(SignInAttempt(email=email, client_ip=client_ip, kind="link", attempted_at=now))
    for user in await repository.active_users_with_email(session, email):
        token = tokens.new_link_token()
        expires_at = now + SIGN_IN_LINK_TTL
        session.add(UserToken(token_hash=tokens.token_hash(token), user_id=user.id, purpose="sign_in",
                              created_at=now, expires_at=expires_at))
        await session.flush()
        await outbox.emit(session, "user.sign_in_link_requested", events.UserSignInLinkRequested(
            user_id=user.id, email=user.email, url=f"{dashboard_url.rstrip('/')}/sign_in/link?token={token}",
            expires_at=expires_at), organization_id=user.organization_id, aggregate_id=user.id,
            aggregate_version=int(now.timestamp() * 1000))


def _expired() -> ApiError:
    return ApiError(410, "link_expired", "This link was used already or has expired: ask for a new one.")


async def redeem(session: AsyncSession, token: str, password: str | None, rules: SessionRules) -> Started:
    """An invite token (with the password the person chose) activates its user; a sign-in token signs in. Either
    starts a session, once."""
    now = utcnow()
    token_hash = tokens.token_hash(token)
    pending = await repository.find_token(session, token_hash)
    if pending is not None and pending.purpose == "invite" and (password is None
                                                                 or len(password) < passwords.MIN_LENGTH):
        raise invalid("password", f"Choose a password of at least {passwords.MIN_LENGTH} characters.")
    used = await repository.use_token(session, token_hash, now)
    if used is None:
        raise _expired()
    user = await session.get(User, used.user_id)
    if used.purpose == "invite":
        if user.status != "invited":
            raise _expired()
        user.password_hash = await passwords.hash_password(password)
        user.status = "active"
    elif user.status != "active":
        raise _expired()
    return await start_session(session, user, rules, now)


async def sign_out(session: AsyncSession, session_token: str) -> None:
    await repository.revoke_session(session, tokens.token_hash(session_token), utcnow())


async def current(session: AsyncSession, session_token: str, rules: SessionRules) -> Started | None:
    """The live session behind this token (None: unknown, signed out, expired or its user removed)."""
    now = utcnow()
    found = await repository.live_session(session, tokens.token_hash(session_token), now, now - rules.idle)
    if found is None:
        return None
    row, user = found
    await _touch(session, row, now)
    organization = await organizations_repository.get_organization(session, user.organization_id)
    return Started(session_token, row, user, organization)


async def _touch(session: AsyncSession, row: UserSession, now: datetime) -> None:
    if now - row.last_seen_at >= TOUCH_EVERY:
        await repository.touch_session(session, row.id, now)


async def session_principal(session: AsyncSession, token_hash: str, rules: SessionRules) -> Principal | None:
    """The caller behind a session token's hash, as /internal/auth/verify answers it."""
    now = utcnow()
    found = await repository.live_session(session, token_hash, now, now - rules.idle)
    if found is None:
        return None
    row, user = found
    await _touch(session, row, now)
    return Principal(row.organization_id, row.id, user.role, user.id)


async def create_owner(session: AsyncSession, organization_id: str, email: str, password: str) -> User:
    """The organization's first user, an active owner with a password (CLI, devstack)."""
    user = User(id=new_id("usr"), organization_id=organization_id, email=_normal(email), name=None, role="owner",
                status="active", password_hash=await passwords.hash_password(password), created_at=utcnow())
    session.add(user)
    await session.flush()
    return user
