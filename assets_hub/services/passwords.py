"""Password hashing (Argon2id) and the password rules; verification takes the same time whether
or not the account exists."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from assets_hub.errors import Unprocessable
from assets_hub.threads import run_blocking

MIN_LENGTH = 12
MAX_LENGTH = 256  # long enough for any passphrase, short enough to bound hashing work
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account does not exist, so both paths cost one Argon2 run.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


def check_password_rules(password: str) -> None:
    """422 naming the rule a new password breaks."""
    if len(password) < MIN_LENGTH:
        raise Unprocessable(f"password: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise Unprocessable(f"password: use at most {MAX_LENGTH} characters")
    if not password.strip() or "\x00" in password:
        raise Unprocessable("password: must contain visible characters and no NUL")


async def hash_password(password: str) -> str:
    return await run_blocking("passwords", _hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; with no stored hash, spends the same time and says no."""
    if len(password) > MAX_LENGTH:
        return False
    target = stored_hash or _DUMMY_HASH
    try:
        await run_blocking("passwords", _hasher.verify, target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored_hash is not None
