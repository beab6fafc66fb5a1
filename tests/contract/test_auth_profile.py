"""client.auth and client.profile, allowed and denied, on the twin and on the stack."""

from __future__ import annotations

import uuid

import pytest

from shared import errors
from shared.models import ProfileUpdate, Role


async def test_sign_in_with_the_right_password_only(world) -> None:
    alice = await world.person(display_name="张三")
    api = await world.client()
    assert await api.auth.current_user() is None
    with pytest.raises(errors.InvalidCredentials):
        await api.auth.sign_in(alice.email, "wrong-password")
    with pytest.raises(errors.InvalidCredentials):
        await api.auth.sign_in(f"nobody{uuid.uuid4().hex[:8]}@example.com", alice.password)
    with pytest.raises(errors.ValidationError):
        await api.auth.sign_in("not an address", alice.password)
    user = await api.auth.sign_in(alice.email, alice.password)
    assert str(user.id) == alice.id and user.role is Role.CITIZEN
    assert await api.auth.current_role() is Role.CITIZEN


async def test_sign_up_opens_a_session_and_a_profile(world) -> None:
    api = await world.client()
    email = f"new{uuid.uuid4().hex[:10]}@example.com"
    created = await api.auth.register(email, "secret-pass-1", display_name="李四")
    assert not created.needs_code and created.user.email == email
    assert (await api.profile.get_profile()).display_name == "李四"
    with pytest.raises(errors.AccountExists):
        await (await world.client()).auth.sign_up(email, "secret-pass-2")


async def test_a_kept_refresh_token_restores_the_session_until_sign_out(world) -> None:
    alice = await world.person()
    tokens = await alice.api.auth.session_tokens()
    assert tokens is not None
    later = await world.client()  # the page reloads
    user = await later.auth.restore_session(tokens[1])
    assert str(user.id) == alice.id
    fresh = await later.auth.session_tokens()
    await later.auth.sign_out()
    assert await later.auth.current_user() is None and await later.auth.session_tokens() is None
    with pytest.raises(errors.AuthError):
        await (await world.client()).auth.restore_session(fresh[1])
    with pytest.raises(errors.AuthError):
        await (await world.client()).auth.restore_session("not-a-refresh-token")


async def test_profile_is_ones_own(world) -> None:
    alice = await world.person()
    bob = await world.person()
    changed = await alice.api.profile.update_profile(ProfileUpdate(display_name="李阿姨", locale="en",
                                                                   elderly_mode=True))
    assert (changed.display_name, changed.locale, changed.elderly_mode) == ("李阿姨", "en", True)
    assert (await alice.api.profile.get_profile()).display_name == "李阿姨"
    assert str((await bob.api.profile.get_profile()).id) == bob.id  # each reads their own
    assert (await bob.api.profile.get_profile()).display_name != "李阿姨"


async def test_signed_out_calls_are_refused(world) -> None:
    api = await world.client()
    for call in (api.profile.get_profile(), api.reports.my_reports(), api.profile.notifications(),
                 api.worker.my_duty()):
        with pytest.raises(errors.AuthError):
            await call
