"""One case: photos, map, description, reporter (masked phone, call link), timeline, and the actions
the state and the person's role allow (each with a confirmation; a refusal says why)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from shared.case_actions import FieldKind, case_action, missing_fields
from shared.commands import CommandState
from shared.models import ReportPublic
from shared.status import OPEN_STATUSES, is_overdue, sla_text, status_label
from shared.taxonomy import default_taxonomy
from shared.timeline import added_info, build_timeline
from shared.ui.timeline import case_timeline

from ..components.dialog import close_dialog
from ..components.map_view import Point, map_of
from ..components.nav_links import nav_row
from ..components.refresh import update_if_shown
from ..state.app import AppState
from ..state.case import CaseState, mask_phone, missing_text
from ..theme import MUTED, OVERDUE, TARGET


def _set_error(field: ft.Control, text: str | None) -> None:
    """TextField shows `error`, Dropdown `error_text` (Flet 1.0 names them differently)."""
    if isinstance(field, ft.Dropdown):
        field.error_text = text
    else:
        field.error = text


def _category(code: str, t) -> str:
    cat = default_taxonomy().get(code)
    return f"{t.pick(cat.name_zh, cat.name_en)} ({code})" if cat else code


class CaseDetail:
    def __init__(self, app: AppState, report_id: str, on_back: Callable[[], Awaitable[None]] | None = None,
                 on_report_changed: Callable[[ReportPublic], None] | None = None) -> None:
        self.app, self.on_back = app, on_back
        self.on_report_changed = on_report_changed  # the inbox row shows the new status at once
        self.state = CaseState(app, report_id)
        self.column = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=12)
        self.root = ft.Semantics(identifier="case-detail", content=ft.Container(expand=True, content=self.column))
        self.picked_photos: list[bytes] = []

    async def reload(self) -> None:
        if await self.state.load():
            self.draw()
            update_if_shown(self.column)

    # ---------------------------------------------------------------- drawing

    def draw(self) -> None:
        t, s = self.app.t, self.state
        r = s.report
        header = [ft.Text(_category(r.category_code, t), size=22, weight=ft.FontWeight.BOLD, expand=True)]
        if self.on_back:
            header.insert(0, ft.Semantics(identifier="case-back", content=ft.IconButton(
                ft.Icons.ARROW_BACK, tooltip=t("back"), on_click=self._back)))
        sla = sla_text(r.due_at, r.status, t.locale)
        self.column.controls = [
            ft.Row(header),
            ft.Row([ft.Semantics(identifier="case-status", content=ft.Text(status_label(r.status, t.locale), size=18)),
                    ft.Text(sla, color=OVERDUE if is_overdue(r.due_at, r.status) else MUTED),
                    ft.Semantics(identifier="case-place", content=ft.Text(
                        self.app.address(r.address, r.landmark), color=MUTED))], wrap=True),
            self._actions(),
            *self._queued(),
            ft.Text(t("case.description"), weight=ft.FontWeight.BOLD),
            ft.Text(r.description, size=16, selectable=True),
            *self._added_info(),
            self._reporter(),
            ft.Text(t("case.photos"), weight=ft.FontWeight.BOLD),
            self._photos(r.photos),
            *([ft.Text(t("case.resolution"), weight=ft.FontWeight.BOLD), ft.Text(r.resolution_note or ""),
               self._photos(r.resolution_photos)] if r.resolution_note else []),
            ft.Text(t("case.map"), weight=ft.FontWeight.BOLD),
            map_of([Point(r.lat, r.lon)], t, grids=self.app.grids, height=220),
            nav_row(r.lat, r.lon, r.landmark or _category(r.category_code, t), t),
            *self._timeline(),
        ]

    async def _back(self, e: ft.ControlEvent) -> None:
        # An async handler: Flet awaits it (a lambda returning the coroutine would never run it).
        await self.on_back()

    def _added_info(self) -> list[ft.Control]:
        """What the reporter added since filing (add_report_info): each note with its photos."""
        t, r = self.app.t, self.state.report
        steps = added_info(build_timeline(self.state.events, r, locale=t.locale).steps)
        if not steps:
            return []
        return [ft.Text(t("case.added_info"), weight=ft.FontWeight.BOLD),
                ft.Semantics(identifier="added-info", content=ft.Column(spacing=6, controls=[
                    ft.Column(tight=True, spacing=4, controls=[
                        ft.Row([ft.Text(step.when, color=MUTED), ft.Text(step.note or "", size=16, selectable=True,
                                                                         expand=True)]),
                        *([self._photos(list(step.photos))] if step.photos else [])])
                    for step in steps]))]

    def _reporter(self) -> ft.Control:
        t, c = self.app.t, self.state.contact
        if c is None:
            return ft.Text(t("case.reporter_hidden"), color=MUTED)
        name = t("case.on_behalf", name=c.display_name or "") if c.on_behalf else (c.display_name or "")
        return ft.Row([ft.Icon(ft.Icons.PERSON), ft.Text(t("case.reporter") + ": " + name),
                       ft.Semantics(identifier="reporter-phone", content=ft.Text(mask_phone(c.phone))),
                       ft.TextButton(t("case.call"), icon=ft.Icons.CALL, disabled=not c.phone,
                                     on_click=self._dial(c.phone))], wrap=True)

    def _dial(self, phone: str | None):
        async def handler(e: ft.ControlEvent) -> None:
            await ft.UrlLauncher().launch_url(f"tel:{phone}")
        return handler

    def _photos(self, paths: list[str]) -> ft.Control:
        shown = [p for p in paths if p in self.state.thumbnails]
        if not shown:
            return ft.Text(self.app.t("case.no_photos"), color=MUTED)
        return ft.Row(wrap=True, spacing=8, controls=[
            ft.Semantics(identifier="photo", content=ft.Container(
                on_click=self._full(p), border_radius=6, clip_behavior=ft.ClipBehavior.HARD_EDGE,
                content=ft.Image(src=self.state.thumbnails[p], width=140, height=105, fit=ft.BoxFit.COVER)))
            for p in shown])

    def _full(self, path: str):
        async def handler(e: ft.ControlEvent) -> None:
            data = await self.state.full_photo(path)
            if data is None:
                return
            # The app's page, not `e.page`: the case may have been redrawn while the photo downloaded.
            dialog = ft.AlertDialog(
                content=ft.Image(src=data, fit=ft.BoxFit.CONTAIN, width=900, height=600),
                actions=[ft.TextButton(self.app.t("close"), on_click=lambda _ev: close_dialog(dialog))])
            self.app.page.show_dialog(dialog)
        return handler

    def _timeline(self) -> list[ft.Control]:
        """The same steps the resident reads (shared.timeline), one line each (shared.ui.timeline)."""
        t, r = self.app.t, self.state.report
        timeline = build_timeline(self.state.events, r, {d.code: d for d in self.app.departments}, t.locale,
                                  open_case=r.status in OPEN_STATUSES)
        return case_timeline(timeline, t, title=t("case.timeline"), layout="rows")

    def _queued(self) -> list[ft.Control]:
        t, items = self.app.t, self.state.queued()
        if not items:
            return []
        labels = {CommandState.PENDING: "queue.pending", CommandState.SENT: "queue.sent",
                  CommandState.FAILED: "queue.failed"}
        return [ft.Text(t("case.queued"), weight=ft.FontWeight.BOLD)] + [
            ft.Text(f"{t(case_action(i.action).label_key)} · {t(labels[i.state])}"
                    + (f" · {i.error(t.locale)}" if i.error(t.locale) else ""),
                    color=OVERDUE if i.state is CommandState.FAILED else MUTED) for i in items]

    def _actions(self) -> ft.Control:
        t = self.app.t
        buttons = []
        for action in self.state.actions():
            label = t(case_action(action).label_key)
            make = ft.Button if case_action(action).primary else ft.OutlinedButton
            buttons.append(ft.Semantics(identifier=f"act-{action}", content=make(
                label, height=TARGET, on_click=self._ask(action))))
        return ft.Row(buttons, wrap=True, spacing=8)

    # ---------------------------------------------------------------- dialogs

    def _ask(self, action: str):
        async def handler(e: ft.ControlEvent) -> None:
            self.open_dialog(self.app.page, action)  # not `e.page`: a live redraw may drop the button
        return handler

    def open_dialog(self, page: ft.Page, action: str) -> ft.AlertDialog:
        t, spec = self.app.t, case_action(action)
        label = t(spec.label_key)
        fields = {f.name: self._field(f.kind, t(f.label_key)) for f in spec.fields}
        body: list[ft.Control] = [ft.Text(t("act.confirm", what=label))] if spec.confirm else []
        body += list(fields.values())
        self.picked_photos = []
        photo_count = ft.Text("")
        if spec.photos:
            body.append(ft.Row([ft.Semantics(identifier="add-photo", content=ft.OutlinedButton(
                t("act.add_photo"), icon=ft.Icons.ADD_A_PHOTO, on_click=self._pick(photo_count))), photo_count]))

        async def confirm(ev: ft.ControlEvent) -> None:
            values = {k: (f.value or "").strip() for k, f in fields.items()}
            missing = missing_fields(action, values)
            for name, field in fields.items():  # inline, under the field; the dialog keeps every input
                _set_error(field, missing_text(name, t) if name in missing else None)
            if missing:
                page.update()
                return
            if not close_dialog(dialog):  # a second tap on 确定
                return
            done = await self.state.perform(action, photos=self.picked_photos, **values)
            if done.ok and self.on_report_changed and self.state.report is not None:
                self.on_report_changed(self.state.report)
            if done.ok or self.state.report is not None:
                self.draw()
                page.update()

        dialog = ft.AlertDialog(
            modal=True, title=ft.Text(label), content=ft.Column(body, tight=True, spacing=10, width=460),
            actions=[ft.TextButton(t("cancel"), on_click=lambda _ev: close_dialog(dialog)),
                     ft.Semantics(identifier="dialog-confirm", content=ft.Button(t("confirm"), on_click=confirm))])
        self.dialog_fields = fields
        self.dialog_confirm = confirm
        page.show_dialog(dialog)
        return dialog

    def _field(self, kind: FieldKind, label: str) -> ft.Control:
        """One dialog field of the registry's kind."""
        t = self.app.t
        if kind is FieldKind.DEPARTMENT:
            return ft.Dropdown(label=label, width=320, options=[
                ft.DropdownOption(key=code, text=name) for code, name in self._departments()])
        if kind is FieldKind.WORKER:
            return ft.Dropdown(label=label, width=320, options=[
                ft.DropdownOption(key=str(w.id), text=f"{w.display_name or '—'} · {', '.join(w.grid_codes)}"
                                  + ("" if w.on_duty else f" ({t('duty.off')})"))
                for w in self.state.transfer_workers])
        if kind is FieldKind.CATEGORY:
            # Type to filter the 239 items by code or name.
            return ft.Dropdown(
                label=label, width=420, editable=True, enable_filter=True, menu_height=320,
                options=[ft.DropdownOption(key=c.code, text=f"{c.code} {t.pick(c.name_zh, c.name_en)}")
                         for c in default_taxonomy().items() if c.code != self.state.report.category_code])
        return ft.TextField(label=label, multiline=True, min_lines=2, width=420)

    def _pick(self, count: ft.Text):
        async def handler(e: ft.ControlEvent) -> None:
            picker = ft.FilePicker()
            files = await picker.pick_files(allow_multiple=True, with_data=True, file_type=ft.FilePickerFileType.IMAGE)
            self.picked_photos += [f.bytes for f in files or [] if f.bytes]
            count.value = self.app.t("act.photos_added", n=len(self.picked_photos))
            update_if_shown(count)  # the dialog may have been closed while the picker was open
        return handler

    def _departments(self) -> list[tuple[str, str]]:
        return [(d.code, self.app.t.pick(d.name_zh, d.name_en)) for d in self.app.departments]
