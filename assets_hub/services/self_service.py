"""What people manage themselves in the pages: their API tokens and, for library admins,
the library's feed tokens. Each change is audited like its API counterpart."""

from __future__ import annotations

from assets_hub.auth import tokens
from assets_hub.auth.principal import Principal
from assets_hub.auth.secrets import digest, new_token
from assets_hub.errors import NotFound, Unprocessable
from assets_hub.models import ApiToken, FeedToken, User
from assets_hub.services import audit
from assets_hub.services.visibility import utcnow

FEED_TOKEN_PREFIX = "ahf_"  # noqa: S105 - a prefix, not a secret


async def api_tokens(principal: Principal) -> list[ApiToken]:
    """The caller's own tokens, newest first (revoked ones too, marked)."""
    return await ApiToken.filter(user_id=principal.user_id).order_by("-id")


async def create_api_token(
    principal: Principal, name: str, expires_days: int | None, ip: str
) -> tuple[str, ApiToken]:
    """A new token for the caller; the plain token is returned this once, never stored."""
    user = await User.get(id=principal.user_id)
    token, row = await tokens.create_token(user, name, expires_days)
    await audit.record(
        "token_created",
        actor=user,
        target_type="token",
        target_id=row.id,
        library_id=user.library_id,
        ip=ip,
        name=row.name,
    )
    return token, row


async def revoke_api_token(principal: Principal, token_id: int, ip: str) -> ApiToken:
    """Revoke one of the caller's tokens (another person's is 404)."""
    row = await tokens.revoke_token(principal, token_id)
    await audit.record(
        "token_revoked",
        actor_email=principal.email,
        target_type="token",
        target_id=row.id,
        library_id=principal.library_id,
        ip=ip,
    )
    return row


def _library_of(principal: Principal) -> int:
    if principal.library_id is None:
        raise Unprocessable("Feeds belong to a library; admins create them as library staff.")
    return principal.library_id


async def feed_tokens(principal: Principal) -> list[FeedToken]:
    """The library's feed tokens, newest first."""
    return await FeedToken.filter(library_id=_library_of(principal)).order_by("-id")


async def create_feed_token(principal: Principal, name: str, ip: str) -> tuple[str, FeedToken]:
    """A feed token for the caller's library (the plain token is shown once)."""
    library_id = _library_of(principal)
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise Unprocessable("name: 1 to 100 characters, e.g. the scheduling tool")
    token = new_token(FEED_TOKEN_PREFIX)
    row = await FeedToken.create(library_id=library_id, name=name, token_hash=digest(token))
    await audit.record(
        "feed_token_created",
        actor_email=principal.email,
        target_type="feed",
        target_id=row.id,
        library_id=library_id,
        ip=ip,
    )
    return token, row


async def revoke_feed_token(principal: Principal, token_id: int) -> FeedToken:
    """Revoke one of the library's feed tokens (another library's is 404)."""
    row = await FeedToken.get_or_none(id=token_id, library_id=principal.library_id)
    if row is None:
        raise NotFound("No feed token with that id.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await row.save(update_fields=["revoked_at"])
        await audit.record(
            "feed_token_revoked",
            actor_email=principal.email,
            target_type="feed",
            target_id=row.id,
            library_id=principal.library_id,
        )
    return row


def synonyms_from_text(text: str) -> dict[str, list[str]]:
    """The synonyms form's lines ("kids: children, young people") as the service's mapping;
    422 naming the line that is not ``word: word, word``."""
    mapping: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        term, colon, words = line.partition(":")
        targets = [w.strip() for w in words.split(",") if w.strip()]
        if not colon or not term.strip() or not targets:
            raise Unprocessable(
                f"synonyms: line {number} should be a word, a colon, then words separated "
                "by commas, for example: kids: children, young people"
            )
        mapping[term.strip()] = targets
    return mapping


def synonyms_as_text(mapping: dict[str, list[str]]) -> str:
    """The stored synonyms as the form shows them, one term per line."""
    return "\n".join(f"{term}: {', '.join(words)}" for term, words in sorted(mapping.items()))
