"""shared.case_actions: one registry for the grid app's case actions, agreeing with the menu and the SQL dispatch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.case_actions import CASE_ACTIONS, FieldKind, case_action, missing_fields, rpc_args
from shared.models import ReportStatus, Role
from shared.status import grid_actions

MIGRATION = Path(__file__).parents[2] / "backend/supabase/migrations/20261201001060_client_commands.sql"


def test_every_action_the_menu_can_offer_is_in_the_registry() -> None:
    offered = {a for s in ReportStatus for r in (Role.GRID_WORKER, Role.DEPT_STAFF, Role.SUPERVISOR)
               for holds in (True, False) for a in grid_actions(s, r, holds=holds)}
    assert offered == set(CASE_ACTIONS)


def test_the_registry_is_the_list_run_case_command_dispatches() -> None:
    sql = MIGRATION.read_text(encoding="utf-8")
    body = sql[sql.index("case run_case_command.action"):sql.index("end case;")]
    assert set(re.findall(r"when '([a-z_]+)' then", body)) == set(CASE_ACTIONS)


def test_primary_buttons_and_photos() -> None:
    assert {n for n, a in CASE_ACTIONS.items() if a.primary} == {"accept_report", "start_report", "resolve_report"}
    assert {n for n, a in CASE_ACTIONS.items() if a.photos} == {"resolve_report"}
    assert all(a.confirm for a in CASE_ACTIONS.values())


@pytest.mark.parametrize("action,args,missing", [
    ("accept_report", {}, []),
    ("comment_report", {"note": "  "}, ["note"]),
    ("request_report_info", {}, ["question"]),
    ("transfer_report", {"reason": "x"}, ["to_department"]),
    ("transfer_report", {"reason": "x", "to_department": "a", "to_worker": "b"}, ["to_department"]),
    ("transfer_report", {"to_worker": "b"}, ["reason"]),
    ("change_report_category", {}, ["category", "reason"]),
])
def test_missing_fields_in_the_dialogs_order(action, args, missing) -> None:
    assert missing_fields(action, args) == missing


def test_rpc_arguments_are_named_as_the_rpcs_name_them() -> None:
    assert rpc_args("request_report_info", {"question": " 哪一栋？ "}) == {"note": "哪一栋？"}
    assert rpc_args("resolve_report", {"note": "好了"}, ["u/r/a.jpg"]) == {"note": "好了", "photos": ["u/r/a.jpg"]}
    assert rpc_args("transfer_report", {"reason": "r", "to_department": "env", "to_worker": ""}) == {
        "reason": "r", "to_department": "env", "to_worker": ""}
    assert case_action("change_report_category").fields[0].kind is FieldKind.CATEGORY


def test_an_unknown_action_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown case action"):
        case_action("drop_everything")


def test_every_label_key_is_in_the_grid_apps_catalogue() -> None:
    from grid_app.strings import STRINGS

    keys = {a.label_key for a in CASE_ACTIONS.values()} | {f.label_key for a in CASE_ACTIONS.values() for f in a.fields}
    assert keys - set(STRINGS) == set()
