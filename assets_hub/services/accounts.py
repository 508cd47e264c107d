"""Accounts: libraries, users, invitations, password resets and sign-in, with their rules."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from tortoise.transactions import in_transaction

from assets_hub.auth.principal import LIBRARY_ROLES, STAFF_ROLES, Principal
from assets_hub.auth.secrets import digest, new_token
from assets_hub.auth.sessions import end_all_sessions
from assets_hub.auth.throttle import LoginThrottle
from assets_hub.errors import Forbidden, NotFound, Unauthorized, Unprocessable
from assets_hub.models import Library, LinkPurpose, OneTimeLink, Role, User
from assets_hub.services import audit
from assets_hub.services.mail import send_mail
from assets_hub.services.passwords import check_password_rules, hash_password, verify_password
from assets_hub.services.visibility import utcnow
from assets_hub.settings import Settings

_EMAIL = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9.-]{1,252}\.[A-Za-z]{2,63}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
SIGN_IN_FAILED = "The e-mail address or password is not right."


def slugify(name: str) -> str:
    """``Leeds Libraries`` -> ``leeds-libraries`` (ASCII, hyphens, at most 100 characters)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100]


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise Unprocessable("email: enter an e-mail address like name@example.org")
    return email


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        choices = ", ".join(role.value for role in Role)
        raise Unprocessable(f"role: {value[:30]!r} is not one of {choices}") from None


async def create_library(
    name: str, slug: str | None = None, *, actor: Principal | None = None, ip: str = ""
) -> Library:
    """A new library service; 422 if the name or slug is unusable or the slug is taken."""
    name = " ".join(name.split())
    if not name or len(name) > 200 or "\x00" in name:
        raise Unprocessable("name: 1 to 200 characters")
    slug = slug or slugify(name)
    if not _SLUG.match(slug):
        raise Unprocessable("slug: lower-case letters, digits and hyphens, at most 100 characters")
    if await Library.exists(slug=slug):
        raise Unprocessable(f"slug: a library called {slug!r} already exists")
    async with in_transaction():
        library = await Library.create(name=name, slug=slug)
        await audit.record(
            "library_created",
            actor_email=actor.email if actor else "cli",
            target_type="library",
            target_id=library.slug,
            library_id=library.id,
            ip=ip,
        )
    return library


async def create_user(
    email: str,
    role: Role,
    library: Library | None,
    *,
    password: str | None = None,
    actor_email: str = "cli",
    ip: str = "",
) -> User:
    """A user; library staff must belong to a library, editors and admins to none."""
    email = normalise_email(email)
    if role in LIBRARY_ROLES and library is None:
        raise Unprocessable("library: library staff must belong to a library")
    if role in STAFF_ROLES and library is not None:
        raise Unprocessable("library: editors and admins belong to no library")
    if await User.exists(email=email):
        raise Unprocessable("email: there is already an account with that address")
    password_hash = None
    if password is not None:
        check_password_rules(password)
        password_hash = await hash_password(password)
    async with in_transaction():
        user = await User.create(
            email=email, role=role, library=library, password_hash=password_hash
        )
        await audit.record(
            "user_created",
            actor_email=actor_email,
            target_type="user",
            target_id=email,
            library_id=library.id if library else None,
            ip=ip,
            role=role.value,
        )
    return user


def link_url(settings: Settings, purpose: LinkPurpose, token: str) -> str:
    path = "invitation" if purpose is LinkPurpose.INVITATION else "reset-password"
    return settings.public_url(f"{path}/{token}")


async def issue_link(
    settings: Settings, user: User, purpose: LinkPurpose, created_by: User | None = None
) -> str:
    """A fresh single-use link for ``user``; earlier unused links of the same purpose die."""
    lifetime = (
        timedelta(hours=settings.invitation_expiry_h)
        if purpose is LinkPurpose.INVITATION
        else timedelta(minutes=settings.password_reset_expiry_min)
    )
    token = new_token()
    now = utcnow()
    await OneTimeLink.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    await OneTimeLink.create(
        purpose=purpose,
        token_hash=digest(token),
        user=user,
        created_by=created_by,
        expires_at=now + lifetime,
    )
    return link_url(settings, purpose, token)


async def invite(
    settings: Settings,
    actor: Principal,
    email: str,
    role: Role,
    library_slug: str | None,
    *,
    ip: str = "",
) -> User:
    """Invite someone by e-mail. Admins invite anyone; library admins only their own staff."""
    library: Library | None = None
    if actor.role is Role.ADMIN:
        if library_slug:
            library = await Library.get_or_none(slug=library_slug)
            if library is None:
                raise NotFound("No library with that slug.")
    elif actor.role is Role.LIBRARY_ADMIN:
        if role not in LIBRARY_ROLES:
            raise Forbidden("Library admins can invite staff of their own library only.")
        library = await Library.get(id=actor.library_id)
        if library_slug and library_slug != library.slug:
            raise NotFound("No library with that slug.")  # never confirm other libraries
    else:
        raise Forbidden("Your account cannot invite people.")
    inviter = await User.get(id=actor.user_id)
    async with in_transaction():
        user = await create_user(email, role, library, actor_email=actor.email, ip=ip)
        link = await issue_link(settings, user, LinkPurpose.INVITATION, created_by=inviter)
        await audit.record(
            "invitation_sent",
            actor=inviter,
            target_type="user",
            target_id=user.email,
            library_id=library.id if library else None,
            ip=ip,
            role=role.value,
        )
    await send_mail(
        settings,
        user.email,
        "You are invited to assets hub",
        f"{inviter.email} invited you to assets hub"
        + (f" for {library.name}" if library else "")
        + f".\n\nSet your password here (the link works once, for "
        f"{settings.invitation_expiry_h} hours):\n{link}\n",
    )
    return user


async def _use_link(token: str, purpose: LinkPurpose) -> OneTimeLink:
    link = await OneTimeLink.get_or_none(
        token_hash=digest(token), purpose=purpose
    ).prefetch_related("user")
    if link is None or link.used_at is not None or utcnow() >= link.expires_at:
        raise NotFound("This link has expired or has already been used. Ask for a new one.")
    return link


async def check_link(token: str, purpose: LinkPurpose) -> User:
    """The user a still-valid link belongs to (NotFound when expired or used)."""
    if len(token) > 128:
        raise NotFound("This link has expired or has already been used. Ask for a new one.")
    link = await _use_link(token, purpose)
    user: User = link.user
    return user


async def set_password_with_link(token: str, purpose: LinkPurpose, password: str, ip: str) -> User:
    """Use an invitation or reset link once: set the password, end every other session."""
    check_password_rules(password)
    link = await _use_link(token, purpose)
    user: User = link.user
    password_hash = await hash_password(password)
    async with in_transaction():
        # Conditional update: of two concurrent uses, only one finds the link unused.
        used = await OneTimeLink.filter(id=link.id, used_at__isnull=True).update(used_at=utcnow())
        if not used:
            raise NotFound("This link has expired or has already been used. Ask for a new one.")
        user.password_hash = password_hash
        await user.save(update_fields=["password_hash"])
        action = "invitation_accepted" if purpose is LinkPurpose.INVITATION else "password_reset"
        await audit.record(
            action,
            actor=user,
            target_type="user",
            target_id=user.email,
            library_id=user.library_id,
            ip=ip,
        )
    await end_all_sessions(user.id)
    return user


async def request_password_reset(settings: Settings, email: str, ip: str) -> None:
    """Mail a reset link if the account exists; the answer is the same either way."""
    try:
        email = normalise_email(email)
    except Unprocessable:
        return
    user = await User.get_or_none(email=email, is_active=True)
    if user is None or user.password_hash is None:
        return
    link = await issue_link(settings, user, LinkPurpose.PASSWORD_RESET)
    await audit.record(
        "password_reset_requested",
        actor=user,
        target_type="user",
        target_id=user.email,
        library_id=user.library_id,
        ip=ip,
    )
    await send_mail(
        settings,
        user.email,
        "Reset your assets hub password",
        "Someone asked to reset the password of this assets hub account.\n\n"
        f"Set a new password here (the link works once, for "
        f"{settings.password_reset_expiry_min} minutes):\n{link}\n\n"
        "If it was not you, ignore this mail: your password stays as it is.\n",
    )


async def sign_in(throttle: LoginThrottle, email: str, password: str, ip: str) -> User:
    """The user whose credentials these are; one generic failure for every wrong case."""
    key = email.strip().lower()[:254]
    await throttle.check(key, ip)
    user = await User.get_or_none(email=key)
    usable = user is not None and user.is_active
    ok = await verify_password(user.password_hash if usable and user else None, password)
    if not ok or user is None:
        await audit.record(
            "sign_in_failed", actor_email=key, target_type="user", target_id=key, ip=ip
        )
        await throttle.failed(key, ip)
        raise Unauthorized(SIGN_IN_FAILED)
    user.last_sign_in_at = utcnow()
    await user.save(update_fields=["last_sign_in_at"])
    await audit.record(
        "sign_in",
        actor=user,
        target_type="user",
        target_id=user.email,
        library_id=user.library_id,
        ip=ip,
    )
    return user


async def visible_users(actor: Principal) -> list[User]:
    """Admins see everyone; library admins their own library's staff."""
    query = User.all().prefetch_related("library").order_by("email")
    if actor.role is Role.ADMIN:
        return await query
    if actor.role is Role.LIBRARY_ADMIN:
        return await query.filter(library_id=actor.library_id)
    raise Forbidden("Your account cannot list users.")


async def update_user(
    actor: Principal, user_id: int, *, role: Role | None, is_active: bool | None, ip: str
) -> User:
    """Change a user's role or switch them off; takes effect on their next request."""
    user = await User.get_or_none(id=user_id).prefetch_related("library")
    if user is None:
        raise NotFound("No user with that id.")
    if actor.role is Role.LIBRARY_ADMIN:
        if not actor.in_library(user.library_id):
            raise NotFound("No user with that id.")
        if role is not None and role not in LIBRARY_ROLES:
            raise Forbidden("Library admins can only give library roles.")
    elif actor.role is not Role.ADMIN:
        raise Forbidden("Your account cannot change users.")
    if user.id == actor.user_id and (role is not None or is_active is False):
        raise Forbidden("You cannot change your own role or switch off your own account.")
    if role is not None:
        has_library = user.library_id is not None
        if (role in LIBRARY_ROLES) != has_library:
            raise Unprocessable("role: library roles need a library, editor and admin roles none")
    old_role, old_active = user.role, user.is_active
    async with in_transaction():
        if role is not None:
            user.role = role
        if is_active is not None:
            user.is_active = is_active
        await user.save(update_fields=["role", "is_active"])
        await audit.record(
            "user_changed",
            actor_email=actor.email,
            target_type="user",
            target_id=user.email,
            library_id=user.library_id,
            ip=ip,
            role=[old_role.value, user.role.value],
            active=[old_active, user.is_active],
        )
    if is_active is False:
        await end_all_sessions(user.id)
    return user
