"""Fixtures for accounts tests: an app with two libraries and one user of every role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from argon2 import PasswordHasher

from assets_hub.models import Role, User
from assets_hub.settings import Settings
from tests.conftest import app_client, make_user

PASSWORD = "correct horse battery staple"
PASSWORD_HASH = PasswordHasher().hash(PASSWORD)  # hashed once: Argon2 is slow by design


@dataclass
class People:
    """One user per role (library staff in Leeds), plus Kent staff as "another library"."""

    admin: User
    editor: User
    leeds_admin: User
    leeds_member: User
    kent_admin: User
    kent_member: User


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client of a fresh app."""
    async with app_client(settings) as http:
        yield http


@pytest.fixture
async def people(app: httpx.AsyncClient) -> People:
    async def user(role: Role, library: str | None, name: str) -> User:
        return await make_user(
            app, role, library=library, email=f"{name}@example.org", password_hash=PASSWORD_HASH
        )

    return People(
        admin=await user(Role.ADMIN, None, "admin"),
        editor=await user(Role.EDITOR, None, "editor"),
        leeds_admin=await user(Role.LIBRARY_ADMIN, "leeds", "leeds-admin"),
        leeds_member=await user(Role.LIBRARY_MEMBER, "leeds", "leeds-member"),
        kent_admin=await user(Role.LIBRARY_ADMIN, "kent", "kent-admin"),
        kent_member=await user(Role.LIBRARY_MEMBER, "kent", "kent-member"),
    )


async def sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the form, as a browser would; the session cookie lands in the jar."""
    return await http.post("/signin", data={"email": email, "password": password, "next": "/"})


async def csrf_token(http: httpx.AsyncClient) -> str:
    """The session's CSRF token, read from the sign-out form every page carries."""
    page = await http.get("/")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]
