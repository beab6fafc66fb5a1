"""Emergency contacts in the resident app: invite, see each contact's state, the invitee accepts or
declines in 我的, either side ends; zh first, en, elderly mode. Against the real stack."""

from __future__ import annotations

import uuid

import flet as ft

from citizen_app.state.contacts import ContactForm, mobile_digits
from citizen_app.theme import ELDERLY
from citizen_app.views.profile import ProfileView
from shared.models import ContactStatus
from tests.apps.citizen_support import new_state


def fresh_mobile() -> str:
    return "139" + str(uuid.uuid4().int % 10**8).zfill(8)


async def resident(stack, tmp_path, make_user, name: str, folder: str):
    user = make_user(app_metadata={"role": "citizen"}, display_name=name)
    state = new_state(stack.url, stack.anon_key, tmp_path / folder)
    assert await state.sign_in(user.email, user.password), state.shell.messages
    return user, state


def texts(control) -> list[str]:
    found: list[str] = []

    def walk(c) -> None:
        if isinstance(c, ft.Text) and isinstance(c.value, str):
            found.append(c.value)
        for attr in ("controls", "content"):
            child = getattr(c, attr, None)
            for x in child if isinstance(child, list) else [child] if child is not None else []:
                if isinstance(x, ft.Control):
                    walk(x)

    walk(control)
    return found


async def test_invite_accept_and_end_through_the_profile_screen(stack, service, tmp_path, make_user) -> None:
    _, grandma = await resident(stack, tmp_path, make_user, "王奶奶", "grandma")
    son_user, son = await resident(stack, tmp_path, make_user, "李小明", "son")
    mobile = fresh_mobile()
    service.auth.admin.update_user_by_id(son_user.id, {"phone": "+86" + mobile, "phone_confirm": True})

    mine = ProfileView(grandma).contacts
    await mine.load()
    assert "还没有紧急联系人" in texts(mine.root)
    mine.name.value, mine.phone.value, mine.relation.value = "李小明", f"+86 {mobile[:3]} {mobile[3:]}", "儿子"
    assert await mine.invite()
    assert grandma.shell.messages[-1] == ("邀请已发送，等待对方确认", False)
    assert mine.name.value == "" and "等待对方确认" in texts(mine.root)
    assert [(c.name, c.phone, c.status) for c in mine.model.mine] == [("李小明", mobile, ContactStatus.PENDING)]

    # The son sees the invitation in 我的 with her name, and accepts.
    theirs = ProfileView(son).contacts
    await theirs.load()
    assert "王奶奶 邀请您成为紧急联系人" in texts(theirs.root)
    [invitation] = theirs.model.pending_for_me
    await theirs._answer(str(invitation.id), True)()
    assert son.shell.messages[-1] == ("已接受", False)
    assert theirs.model.pending_for_me == [] and [i.inviter_name for i in theirs.model.i_follow] == ["王奶奶"]

    await mine.load()
    assert "已接受" in texts(mine.root)
    # She ends it; the son no longer follows her.
    await mine._end(str(mine.model.mine[0].id))()
    assert mine.model.mine == [] and "还没有紧急联系人" in texts(mine.root)
    await theirs.load()
    assert theirs.model.i_follow == []
    # Answering again what was answered: a plain message, nothing else.
    await theirs._answer(str(invitation.id), False)()
    assert son.shell.messages[-1] == ("该邀请已处理过", True)
    await grandma.close()
    await son.close()


async def test_a_decline_shows_and_english_and_elderly_mode(stack, service, tmp_path, make_user) -> None:
    _, grandma = await resident(stack, tmp_path, make_user, "王奶奶", "grandma2")
    son_user, son = await resident(stack, tmp_path, make_user, "李小明", "son2")
    mobile = fresh_mobile()
    service.auth.admin.update_user_by_id(son_user.id, {"phone": "+86" + mobile, "phone_confirm": True})
    assert await ProfileView(grandma).contacts.model.invite(ContactForm("李小明", mobile, "儿子"))
    theirs = ProfileView(son).contacts
    await theirs.load()
    await theirs.model.answer(str(theirs.model.pending_for_me[0].id), False)

    await grandma.set_locale("en")
    await grandma.set_elderly(True)
    mine = ProfileView(grandma).contacts
    await mine.load()
    assert "Declined" in texts(mine.root) and mine.name.label == "Contact name"
    assert mine.name.text_size == ELDERLY.body
    await grandma.close()
    await son.close()


async def test_refusals_of_the_server_are_shown_in_words(stack, tmp_path, make_user, db) -> None:
    user, state = await resident(stack, tmp_path, make_user, "张三", "busy")
    model = ProfileView(state).contacts.model
    for n in range(10):
        assert await model.invite(ContactForm(f"联系人{n}", fresh_mobile()))
    assert not await model.invite(ContactForm("再一位", fresh_mobile()))
    assert state.shell.messages[-1] == ("最多 10 位紧急联系人，请先解除一位", True)
    await model.end(str(model.mine[0].id))
    assert not await model.invite(ContactForm("再一位", fresh_mobile()))
    assert state.shell.messages[-1] == ("今天邀请次数过多，请明天再试", True)
    assert db.execute("select count(*) from public.emergency_contact_invitations where inviter_id = %s",
                      (user.id,)).fetchone()[0] == 10
    await state.close()


def test_numbers_are_read_as_people_type_them() -> None:
    assert mobile_digits("+86 139-0000-2222") == mobile_digits("0086 13900002222") == "13900002222"
    assert ContactForm("李强", "13900002222").problem() is None
    assert ContactForm("李强", "1390000222").problem() == "contacts.bad_phone"
    assert ContactForm("", "13900002222").problem() == "profile.contact_incomplete"
    assert ContactForm("李" * 51, "13900002222").problem() == "profile.too_long"
