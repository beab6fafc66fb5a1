"""The elderly mode's text size in three steps (citizen_app/theme.py), kept in the browser and the profile."""

from __future__ import annotations

import flet as ft

from citizen_app.theme import ELDERLY, NORMAL, TEXT_STEPS, LargeText, sizes, text, text_step
from citizen_app.views.home import HomeView
from shared.prefs import MemoryPrefs
from tests.apps.citizen_support import account, new_state


def identifiers(control: ft.Control) -> list[str]:
    found = [control.identifier] if isinstance(control, ft.Semantics) and control.identifier else []
    for child in [getattr(control, "content", None), *(getattr(control, "controls", None) or [])]:
        if isinstance(child, ft.Control):
            found += identifiers(child)
    return found


def test_three_steps_grow_and_all_meet_the_elderly_minimums() -> None:
    steps = [sizes(LargeText(step)) for step in (1, 2, 3)]
    assert [s.body for s in steps] == sorted({s.body for s in steps})  # strictly larger each step
    for s in steps:
        assert s.body >= 22 and s.target >= 60 and s.line_height >= 1.3
    assert sizes(LargeText(3)).title >= 30  # the largest step: main functions at >= 30 px (MIIT)
    assert sizes(True) == ELDERLY == TEXT_STEPS[2] and sizes(False) == NORMAL


def test_a_kept_value_that_is_not_a_step_falls_back_to_the_default() -> None:
    assert [text_step(v) for v in (1, 3, 0, 4, "3", None, True)] == [1, 3, 2, 2, 2, 2, 2]


def test_views_size_their_text_by_the_chosen_step() -> None:
    assert text("随手拍", LargeText(3), title=True).size == TEXT_STEPS[3].title
    assert text("随手拍", LargeText(1)).size == TEXT_STEPS[1].body


async def test_the_step_is_kept_in_the_browser_and_offered_on_the_elderly_home(tmp_path) -> None:
    prefs = MemoryPrefs()
    state = new_state("http://127.0.0.1:9", "key", tmp_path, prefs)  # signed out: nothing reaches a backend
    await state.set_elderly(True)
    await state.set_text_step(3)
    assert state.elderly == LargeText(3) and sizes(state.elderly).title == 34
    again = new_state("http://127.0.0.1:9", "key", tmp_path, prefs)
    await again.start()
    assert again.elderly == LargeText(3)
    view = HomeView(again)
    assert view.text_size.selected == ["3"] and view.elderly_switch.value is True
    view.text_size.selected = ["1"]
    await view.choose_text_size()
    assert again.elderly == LargeText(1) and await prefs.get("cityloop.citizen.text_size") == 1
    await state.close()
    await again.close()


async def test_normal_mode_keeps_the_step_for_later_and_shows_no_picker(tmp_path) -> None:
    state = new_state("http://127.0.0.1:9", "key", tmp_path)
    await state.set_text_step(1)
    assert state.elderly is False and sizes(state.elderly) == NORMAL
    assert "text-size" not in identifiers(HomeView(state).root)
    await state.set_elderly(True)
    assert state.elderly == LargeText(1)
    assert "text-size" in identifiers(HomeView(state).root)
    await state.close()


async def test_the_step_follows_the_person_through_their_profile(stack, tmp_path, make_user, db) -> None:
    email, password = account(make_user)
    state = new_state(stack.url, stack.anon_key, tmp_path)
    assert await state.sign_in(email, password)
    await state.set_elderly(True)
    await state.set_text_step(3)
    assert db.execute("select elderly_mode, text_size from public.profiles where id = %s",
                      (str(state.user.id),)).fetchone() == (True, 3)
    await state.close()
    elsewhere = new_state(stack.url, stack.anon_key, tmp_path / "other", MemoryPrefs())  # another browser
    assert await elsewhere.sign_in(email, password)
    assert elsewhere.elderly == LargeText(3)
    await elsewhere.close()
