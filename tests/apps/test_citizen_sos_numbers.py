"""The SOS screen always offers 110, 120 and the family's numbers (the resident's emergency contacts)
as tel: links, in every state of the SOS, in the elderly mode too."""

from __future__ import annotations

from citizen_app.state.sos import FamilyNumber, family_numbers
from shared.models import ContactStatus, EmergencyContact, EmergencyContactPublic
from shared.sos_flow import SosPhase
from tests.apps.test_citizen_sos import (hold_and_count_down, screen, until,  # noqa: F401  (screen is a fixture)
                                         visible_ids)

ALWAYS = ["sos-numbers", "sos-call-110", "sos-call-120"]


def links(view) -> dict[str, tuple[str, str]]:
    """identifier -> (tel: URL, words) of the numbers on top of the screen."""
    found = {}
    rows = [view.numbers.controls[0].controls, view.numbers.controls[1:]]
    for sem in (c for row in rows for c in row):
        tile = sem.content
        found[sem.identifier] = (tile.data, tile.content.controls[1].value)
    return found


def numbers_on_top(view) -> bool:
    shown = visible_ids(view.root)
    return shown[:len(ALWAYS)] == ALWAYS and view.root.controls[0] is view.numbers_box


async def test_police_ambulance_and_family_in_every_state(screen, db) -> None:  # noqa: F811
    view, sos, clock, _signals, state = await screen(elderly=True)
    uid = str(state.user.id)
    db.execute("update public.profiles set emergency_contacts = %s::jsonb where id = %s",
               ('[{"name": "周小华", "phone": "139 0000 9999", "relation": "女儿"}]', uid))
    db.execute("insert into public.emergency_contact_invitations (inviter_id, phone, name, relation)"
               " values (%s, '13800007777', '周大明', '儿子')", (uid,))
    state.profile = (await state.run(lambda c: c.profile.get_profile())).value
    await sos.start()  # the screen opens: the invitations are read
    want = {"sos-call-110": ("tel:110", "报警 110"), "sos-call-120": ("tel:120", "急救 120"),
            "sos-family-0": ("tel:13900009999", "女儿 周小华 139 0000 9999"),
            "sos-family-1": ("tel:13800007777", "儿子 周大明 13800007777")}
    assert links(view) == want and numbers_on_top(view)
    assert {"sos-family-0", "sos-family-1"} <= set(visible_ids(view.root))

    seen = {}
    view.on_down()
    await clock.advance(3)
    seen[sos.phase] = links(view), numbers_on_top(view)  # the countdown
    await clock.advance(5)
    await until(lambda: sos.phase is SosPhase.SENT)
    seen[sos.phase] = links(view), numbers_on_top(view)
    await view.on_cancel()
    seen[sos.phase] = links(view), numbers_on_top(view)
    assert list(seen) == [SosPhase.COUNTDOWN, SosPhase.SENT, SosPhase.CANCELLED]
    assert all(found == (want, True) for found in seen.values()), seen

    state.t.locale = "en"
    view.render()
    assert links(view)["sos-call-120"] == ("tel:120", "Ambulance 120")


def test_family_numbers_are_deduplicated_capped_and_never_empty_links() -> None:
    profile = [EmergencyContact(name="周小华", phone="139-0000-9999", relation="女儿"),
               EmergencyContact(name="无号码", phone="—")]
    invited = [EmergencyContactPublic(id="00000000-0000-4000-8000-000000000001", phone="13900009999", name="小华",
                                      status=ContactStatus.ACCEPTED),
               EmergencyContactPublic(id="00000000-0000-4000-8000-000000000002", phone="13700001111", name="拒绝者",
                                      status=ContactStatus.DECLINED),
               *[EmergencyContactPublic(id=f"00000000-0000-4000-8000-00000000001{i}", phone=f"1360000000{i}",
                                        name=f"邻居{i}", status=ContactStatus.PENDING) for i in range(4)]]
    found = family_numbers(profile, invited)
    assert found[0] == FamilyNumber("周小华", "139-0000-9999", "女儿") and found[0].url == "tel:13900009999"
    assert [n.name for n in found] == ["周小华", "邻居0", "邻居1"]  # one per number, declined left out, at most 3
