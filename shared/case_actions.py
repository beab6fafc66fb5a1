"""The grid app's case actions, one line each: what drives its menu, its dialogs, its queue and its sending.

Per action: the case RPC it runs (the name `run_case_command` dispatches on, migration
20261201001060), the catalogue key of its label (grid_app/strings.py), the fields the dialog
asks for and which must be filled, how each field is passed to the RPC, whether its button is a
primary one, and whether it asks for confirmation. Which actions a person is offered on a case
is decided by `shared.status.grid_actions` (the lifecycle mirror); how to ask and send is here.
Never imports flet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    TEXT = "text"  # a multi-line text box
    CATEGORY = "category"  # a taxonomy item (filterable list)
    DEPARTMENT = "department"
    WORKER = "worker"


@dataclass(frozen=True)
class ActionField:
    name: str  # the dialog's field (and the queued command's argument)
    label_key: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    rpc_arg: str | None = None  # the RPC's argument name when it differs from `name`

    @property
    def arg(self) -> str:
        return self.rpc_arg or self.name


@dataclass(frozen=True)
class CaseAction:
    rpc: str
    label_key: str
    fields: tuple[ActionField, ...] = ()
    primary: bool = False
    confirm: bool = True  # the dialog says "确认…？" before sending
    photos: bool = False  # after-photos may be added (uploaded before the RPC)
    one_of: tuple[str, ...] = ()  # exactly one of these fields (a transfer: a department or a worker)


_NOTE = ActionField("note", "note")
_REASON = ActionField("reason", "reason")

CASE_ACTIONS: dict[str, CaseAction] = {a.rpc: a for a in (
    CaseAction("accept_report", "act.accept", primary=True),
    CaseAction("start_report", "act.start", primary=True),
    CaseAction("comment_report", "act.note", (_NOTE,)),
    CaseAction("request_report_info", "act.request_info", (ActionField("question", "act.question", rpc_arg="note"),)),
    CaseAction("transfer_report", "act.transfer",
               (ActionField("to_department", "transfer.department", FieldKind.DEPARTMENT, required=False),
                ActionField("to_worker", "transfer.worker", FieldKind.WORKER, required=False), _REASON),
               one_of=("to_department", "to_worker")),
    CaseAction("resolve_report", "act.resolve", (_NOTE,), primary=True, photos=True),
    CaseAction("reject_report", "act.reject", (_REASON,)),
    CaseAction("escalate_report", "act.escalate", (_REASON,)),
    CaseAction("change_report_category", "case.change_category",
               (ActionField("category", "case.new_category", FieldKind.CATEGORY), _REASON)),
)}


def case_action(name: str) -> CaseAction:
    try:
        return CASE_ACTIONS[name]
    except KeyError:
        raise KeyError(f"unknown case action {name!r}") from None


def _filled(value: Any) -> bool:
    return bool(str(value or "").strip())


def missing_fields(name: str, args: Mapping[str, Any]) -> list[str]:
    """The fields `name` still needs: first the one-of pair, then the required ones, in the dialog's order."""
    action = case_action(name)
    missing = []
    if action.one_of and sum(_filled(args.get(f)) for f in action.one_of) != 1:
        missing.append(action.one_of[0])
    missing += [f.name for f in action.fields if f.required and not _filled(args.get(f.name))]
    return missing


def rpc_args(name: str, args: Mapping[str, Any], photo_paths: list[str] | None = None) -> dict[str, Any]:
    """The `args` object `run_case_command` reads: each field under its RPC argument's name."""
    action = case_action(name)
    out = {f.arg: str(args.get(f.name) or "").strip() for f in action.fields if f.name in args}
    if action.photos:
        out["photos"] = list(photo_paths or [])
    return out
