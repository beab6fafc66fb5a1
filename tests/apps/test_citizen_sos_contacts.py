"""The SOS screen's progress names the emergency-contacts count instead of showing "sent" twice, and how many
contacts who have not accepted yet were texted."""

from __future__ import annotations

from shared.sos_flow import SosPhase
from tests.apps.test_citizen_sos import hold_and_count_down, screen, until  # noqa: F401  (screen is a fixture)


async def test_progress_shows_how_many_contacts_were_told(screen, db) -> None:  # noqa: F811
    view, sos, clock, _signals, state = await screen()
    db.execute("update public.profiles set emergency_contacts = %s::jsonb where id = %s",
               ('[{"name": "周小华", "phone": "13900009999", "relation": "女儿"}]', str(state.user.id)))
    await hold_and_count_down(view, clock)
    await until(lambda: sos.phase is SosPhase.SENT)
    await until(lambda: [c.controls[0].value for c in view.steps.controls] == ["已发出", "已通知紧急联系人 0/1 位"])
    state.t.locale = "en"  # the other language, without saving it to the profile
    assert sos.steps()[1].label == "Emergency contacts told: 0 of 1"
    await view.on_cancel()
    assert sos.phase is SosPhase.CANCELLED


async def test_progress_counts_the_contacts_texted(screen, db) -> None:  # noqa: F811
    view, sos, clock, _signals, state = await screen()
    db.execute("insert into public.emergency_contact_invitations (inviter_id, phone, name) values (%s, %s, %s)",
               (str(state.user.id), "13900008888", "周小华"))  # invited, not accepted yet: texted
    await hold_and_count_down(view, clock)
    await until(lambda: sos.phase is SosPhase.SENT)
    await until(lambda: [c.controls[0].value for c in view.steps.controls]
                == ["已发出", "已通知紧急联系人 0/1 位，短信通知 1 位"])
    state.t.locale = "en"
    assert sos.steps()[1].label == "Emergency contacts told: 0 of 1; texted: 1"
    await view.on_cancel()
    assert sos.phase is SosPhase.CANCELLED
