"""Branding profiles: per library, versioned, isolated (another library's profile is 404).

Every save makes a new immutable version; renditions name the version they were made from, so
older ones stay valid and addressable while new downloads use the new look.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from assets_hub.auth.principal import Principal
from assets_hub.backends import Backends
from assets_hub.branding.brand import Brand
from assets_hub.branding.colour import contrast_ratio, parse_colour
from assets_hub.branding.fonts import DEFAULT_FONT, check_font_key
from assets_hub.branding.overlays import PROFILE_FIELDS
from assets_hub.branding.qr import check_url
from assets_hub.errors import Conflict, Forbidden, NotFound, Unprocessable
from assets_hub.media.keys import derived_key
from assets_hub.models import BrandingProfile, BrandingProfileVersion, Library, Role, User
from assets_hub.services import audit
from assets_hub.services.visibility import utcnow

MIN_CONTRAST = 4.5
PROFILE_KEYS = (
    "name",
    "is_default",
    "primary",
    "secondary",
    "text",
    "font",
    "qr_url",
    *PROFILE_FIELDS,
)
MAX_WEBSITE = 2048


@dataclass(frozen=True)
class ProfileView:
    profile: BrandingProfile
    version: BrandingProfileVersion
    warnings: list[str]


def contrast_warnings(primary: str, secondary: str, text: str) -> list[str]:
    """WCAG checks the editor shows; the renderer picks a readable colour anyway."""
    warnings = []
    ratio = contrast_ratio(primary, text)
    if ratio < MIN_CONTRAST:
        warnings.append(
            f"Text colour {text} on band colour {primary} has contrast {ratio:.1f}:1, below "
            f"4.5:1; downloads will use black or white text instead."
        )
    second = contrast_ratio(secondary, primary)
    if second < 3:
        warnings.append(
            f"The secondary colour {secondary} is hard to tell apart from {primary} "
            f"({second:.1f}:1)."
        )
    return warnings


def _clean(values: Mapping[str, Any], base: BrandingProfileVersion | None) -> dict[str, Any]:
    """Validate a profile edit on top of the previous version (422 naming each bad field)."""
    problems: list[str] = []
    out: dict[str, Any] = {
        "primary": base.primary if base else "#1d70b8",
        "secondary": base.secondary if base else "#ffffff",
        "text": base.text if base else "#ffffff",
        "font": base.font if base else DEFAULT_FONT,
        "qr_url": base.qr_url if base else None,
        "values": dict(base.values) if base else {},
    }
    for name in ("primary", "secondary", "text"):
        if name in values:
            try:
                out[name] = parse_colour(values[name])
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
    if "font" in values:
        try:
            out["font"] = check_font_key(values["font"])
        except ValueError as exc:
            problems.append(f"font: {exc}")
    if "qr_url" in values:
        url = values["qr_url"]
        if url in (None, ""):
            out["qr_url"] = None
        else:
            try:
                check_url(str(url))
                out["qr_url"] = str(url)
            except ValueError as exc:
                problems.append(f"qr_url: {exc}")
    for name in PROFILE_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if value in (None, ""):
            out["values"].pop(name, None)
            continue
        if not isinstance(value, str):
            problems.append(f"{name}: must be text")
            continue
        if name == "website":
            try:
                check_url(value)
            except ValueError as exc:
                problems.append(f"website: {exc}")
                continue
        out["values"][name] = value
    if problems:
        raise Unprocessable("Please correct: " + "; ".join(problems) + ".")
    try:  # the renderer's own validation (lengths, text) as the last word
        Brand(
            profile_id="check",
            version=1,
            primary=out["primary"],
            secondary=out["secondary"],
            text=out["text"],
            font=out["font"],
            fields=out["values"],
            qr_url=out["qr_url"],
        )
    except ValueError as exc:
        raise Unprocessable(f"Please correct: {exc}.") from None
    return out


def _may_edit(principal: Principal, library_id: int) -> bool:
    return principal.role is Role.ADMIN or (
        principal.role is Role.LIBRARY_ADMIN and principal.library_id == library_id
    )


def _may_read(principal: Principal, library_id: int) -> bool:
    return principal.is_staff or principal.library_id == library_id


async def library_for(principal: Principal, slug: str) -> Library:
    """The library by slug if the caller may see it (404 otherwise, never 403)."""
    library = await Library.get_or_none(slug=slug)
    if library is None or not _may_read(principal, library.id):
        raise NotFound("No library with that slug.")
    return library


async def profile_for(principal: Principal, profile_id: int, *, edit: bool = False) -> ProfileView:
    # The current version is always the newest (a save bumps current_version and adds that
    # version in one transaction), so one joined query finds the profile and its version.
    version = (
        await BrandingProfileVersion.filter(profile_id=profile_id, profile__deleted_at=None)
        .select_related("profile")
        .order_by("-number")
        .first()
    )
    if version is None or not _may_read(principal, version.profile.library_id):
        raise NotFound("No branding profile with that id.")
    profile = version.profile
    if edit and not _may_edit(principal, profile.library_id):
        raise Forbidden("Only the library's admins can change its branding.")
    return ProfileView(
        profile, version, contrast_warnings(version.primary, version.secondary, version.text)
    )


async def list_profiles(principal: Principal, library: Library) -> list[ProfileView]:
    views = []
    for profile in await BrandingProfile.filter(library=library, deleted_at=None):
        views.append(await profile_for(principal, profile.id))
    return views


def _name(values: Mapping[str, Any], default: str | None) -> str:
    name = values.get("name", default)
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise Unprocessable("name: 1 to 100 characters")
    return " ".join(name.split())


async def create_profile(
    principal: Principal, library: Library, values: Mapping[str, Any], *, ip: str = ""
) -> ProfileView:
    if not _may_edit(principal, library.id):
        raise Forbidden("Only the library's admins can change its branding.")
    name = _name(values, None)
    cleaned = _clean(values, None)
    cleaned["values"].setdefault("library_name", library.name)
    async with in_transaction():
        first = not await BrandingProfile.exists(library=library, deleted_at=None)
        profile = await BrandingProfile.create(
            library=library, name=name, is_default=bool(values.get("is_default")) or first
        )
        if profile.is_default and not first:
            await (
                BrandingProfile.filter(library=library)
                .exclude(id=profile.id)
                .update(is_default=False)
            )
        await BrandingProfileVersion.create(
            profile=profile, number=1, created_by=principal.email, **cleaned
        )
        await audit.record(
            "branding_created",
            actor_email=principal.email,
            target_type="profile",
            target_id=profile.id,
            library_id=library.id,
            ip=ip,
            new=cleaned,
        )
    return await profile_for(principal, profile.id)


async def update_profile(
    principal: Principal,
    profile_id: int,
    values: Mapping[str, Any],
    *,
    expected_version: int | None,
    logo: tuple[str, str] | None = None,
    ip: str = "",
) -> ProfileView:
    """A new version from the changed fields (409 when someone saved since ``expected_version``).

    ``logo``: (storage key, sha256) of a newly stored logo, or ("", "") to remove it.
    """
    view = await profile_for(principal, profile_id, edit=True)
    current = view.version
    if expected_version is not None and expected_version != current.number:
        raise Conflict(
            "The profile was changed by someone else since you loaded it; reload it.",
            status_code=412,
        )
    cleaned = _clean(values, current)
    logo_key, logo_sha = (current.logo_key, current.logo_sha256)
    if logo is not None:
        logo_key, logo_sha = (logo[0] or None, logo[1])
    old = {
        "primary": current.primary,
        "secondary": current.secondary,
        "text": current.text,
        "font": current.font,
        "qr_url": current.qr_url,
        "values": current.values,
        "logo": current.logo_sha256,
    }
    async with in_transaction():
        number = current.number + 1
        # Conditional bump: of two concurrent saves, one wins and the other gets 412.
        bumped = await BrandingProfile.filter(id=profile_id, current_version=current.number).update(
            current_version=number
        )
        if not bumped:
            raise Conflict(
                "The profile was changed by someone else since you loaded it; reload it.",
                status_code=412,
            )
        await BrandingProfileVersion.create(
            profile_id=profile_id,
            number=number,
            created_by=principal.email,
            logo_key=logo_key,
            logo_sha256=logo_sha,
            **cleaned,
        )
        if "name" in values or "is_default" in values:
            profile = view.profile
            profile.name = _name(values, profile.name)
            if values.get("is_default") is True:
                await BrandingProfile.filter(library_id=profile.library_id).update(is_default=False)
                profile.is_default = True
            elif values.get("is_default") is False:
                profile.is_default = False  # the library then has no default until it picks one
            await profile.save(update_fields=["name", "is_default"])
        await audit.record(
            "branding_changed",
            actor_email=principal.email,
            target_type="profile",
            target_id=profile_id,
            library_id=view.profile.library_id,
            ip=ip,
            old=old,
            new={**cleaned, "logo": logo_sha},
        )
    return await profile_for(principal, profile_id)


async def delete_profile(principal: Principal, profile_id: int, *, ip: str = "") -> None:
    view = await profile_for(principal, profile_id, edit=True)
    await BrandingProfile.filter(id=profile_id).update(deleted_at=utcnow(), is_default=False)
    await audit.record(
        "branding_deleted",
        actor_email=principal.email,
        target_type="profile",
        target_id=profile_id,
        library_id=view.profile.library_id,
        ip=ip,
    )


async def brand_for(backends: Backends, version: BrandingProfileVersion) -> Brand:
    """The renderer's Brand for a stored profile version (logo bytes read from storage)."""
    logo = await backends.storage.read_bytes(version.logo_key) if version.logo_key else None
    return Brand(
        profile_id=str(version.profile_id),
        version=version.number,
        primary=version.primary,
        secondary=version.secondary,
        text=version.text,
        font=version.font,
        fields=version.values,
        logo=logo,
        qr_url=version.qr_url,
    )


def logo_key_for(sha256: str, extension: str) -> str:
    """Logos are stored content-addressed like any upload (never overwritten, BR-05)."""
    return derived_key(sha256, f"logo{extension}")


async def actor(principal: Principal) -> User:
    return await User.get(id=principal.user_id)
