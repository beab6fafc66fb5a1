"""The apps (and the flows in shared/) reach the backend only through the client's facades, by the names
of their Protocols in shared/api.py: no call that only the real client has (the twin could not stand
in), and no reach into the transport or supabase-py underneath."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from shared import api

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "citizen_app").rglob("*.py")), *sorted((ROOT / "grid_app").rglob("*.py")),
           *(ROOT / "shared" / name for name in ("app_core.py", "brain.py", "code_flow.py", "sos_flow.py"))]
FACADES = {name: getattr(api, protocol) for name, protocol in api.CityApi.__annotations__.items()}
CLIENT_OWN = {name for name, _ in inspect.getmembers(api.CityApi, inspect.isfunction)}
BEHIND_THE_CLIENT = {"transport", "supabase", "_rpc", "_call", "_subscribe", "_uid", "_t"}


def protocol_names(protocol: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(protocol, inspect.isfunction) if not name.startswith("_")}


def is_client(node: ast.AST, lambda_client: bool = False) -> bool:
    """`client`, `<anything>.client`, `(await <anything>.ensure_client())`, or `c` in `lambda c: ...`
    (what `state.run` hands in): a CityApi."""
    if isinstance(node, ast.Name):
        return node.id == "client" or (lambda_client and node.id == "c")
    if isinstance(node, ast.Attribute):
        return node.attr == "client"
    if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
        func = node.value.func
        return isinstance(func, ast.Attribute) and func.attr == "ensure_client"
    return False


def uses(path: Path) -> list[str]:
    """Each use of a client in `path` that the Protocols do not name, as `file:line: text`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_lambdas = {id(node) for fn in ast.walk(tree) if isinstance(fn, ast.Lambda)
                  and "c" in [a.arg for a in fn.args.args] for node in ast.walk(fn.body)}
    wrong = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        lam = id(node) in in_lambdas
        where = f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
        if is_client(node.value, lam):
            if node.attr in BEHIND_THE_CLIENT or node.attr not in {*FACADES, *CLIENT_OWN}:
                wrong.append(where)
        elif (isinstance(node.value, ast.Attribute) and is_client(node.value.value, lam)
              and node.value.attr in FACADES and node.attr not in protocol_names(FACADES[node.value.attr])):
            wrong.append(where)
    return wrong


def test_the_apps_use_only_the_protocols_names() -> None:
    assert [w for path in SOURCES for w in uses(path)] == []


def test_the_check_sees_a_call_the_protocols_do_not_have(tmp_path) -> None:
    sample = tmp_path / "view.py"
    sample.write_text("async def f(state, client):\n"
                      "    await client.reports.my_reports()\n"          # named by ReportsApi: fine
                      "    await client.reports.delete_everything()\n"   # not in the Protocol
                      "    await state.client._rpc('x', {})\n"      # behind the client
                      "    await (await state.ensure_client()).transport.rpc('x', {})\n"
                      "    await state.run(lambda c: c.my_reports())\n"  # the flat call of the old client
                      "    return [c.name for c in state.areas]\n", encoding="utf-8")  # not a client: fine
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = [w.split(": ", 1)[1] for w in sorted(uses(sample), key=lambda w: int(w.split(":")[1]))]
    finally:
        ROOT = saved
    assert found == ["client.reports.delete_everything", "state.client._rpc",
                     "(await state.ensure_client()).transport", "c.my_reports"]
