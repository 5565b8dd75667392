"""Import an SoA workbook from the browser: upload, map what was not understood, preview
every change, apply in one transaction. Works without JavaScript: every step is a form."""

import json
import os
import re
import secrets
import shutil
import time

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from isms.api import Role, allow, db
from soa.grid import Options, cell_at, column_letter, is_blank
from soa.import_mappings import MappingError, get_mapping, list_mapping_names, save_mapping
from soa.importer import ImportRefused, apply_import, plan_from_grid, read_file
from soa.views import bp
from soa.vocabulary import FIELD_LABELS, FIELD_VALUES, FIELDS, VALUE_LABELS, normalise

TOKEN = re.compile(r"^[0-9a-f]{32}$")
STALE_SECONDS = 24 * 3600  # an upload nobody applied or cancelled within a day is removed
PREVIEW_ROWS, PREVIEW_COLUMNS, CELL_CHARS = 25, 40, 60


def _folder() -> str:
    folder = os.path.join(current_app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    return folder


def _sweep(folder: str) -> None:
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if time.time() - os.path.getmtime(path) > STALE_SECONDS:
            os.unlink(path)


def _path(token: str) -> str:
    if not TOKEN.match(token):
        abort(404)
    path = os.path.join(_folder(), f"{token}.xlsx")
    if not os.path.exists(path):
        abort(404)
    return path


def _refuse(error: Exception, path: str | None = None):
    """Answer 400 with the reason; the uploaded file is removed at once."""
    if path and os.path.exists(path):
        os.unlink(path)
    flash(f"Nothing was imported: {error}", "error")
    return render_template("soa/import.html", mappings=list_mapping_names()), 400


@bp.route("/soa/import", methods=["GET", "POST"])
@allow(Role.LEAD)
def import_upload():
    """Upload a workbook, optionally read with a saved mapping, and see what it would do."""
    if request.method == "GET":
        return render_template("soa/import.html", mappings=list_mapping_names())
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose an .xlsx file to import.", "error")
        return render_template("soa/import.html", mappings=list_mapping_names()), 422
    folder = _folder()
    _sweep(folder)
    token = secrets.token_hex(16)
    path = os.path.join(folder, f"{token}.xlsx")
    shutil.move(upload.stream.claim(), path)
    try:
        options = get_mapping(request.form["mapping"]) if request.form.get(
            "mapping") else Options()
    except MappingError as error:
        return _refuse(error, path)
    return _preview(token, path, options, upload.filename)


@bp.route("/soa/import/<token>", methods=["POST"])
@allow(Role.LEAD)
def import_map(token: str):
    """Read the uploaded workbook again with the sheet, header row, fields and words chosen."""
    path = _path(token)
    try:
        options = (get_mapping(request.form["mapping"]) if request.form.get("mapping")
                   else _form_options(request.form))
    except MappingError as error:
        flash(str(error), "error")
        options = Options()
    return _preview(token, path, options, request.form.get("file_name", ""))


def _preview(token: str, path: str, options: Options, file_name: str):
    try:
        grid, sheets, names = read_file(path, options)
    except ImportRefused as error:
        return _refuse(error, path)
    plan, problem = None, grid.error
    if not problem:
        try:
            plan = plan_from_grid(grid, options, names)
        except ImportRefused as error:
            problem = str(error)
    layout = grid.layout
    shown = layout.sheet if layout else (options.sheet or (names[0] if names else ""))
    return render_template(
        "soa/import_preview.html", token=token, file_name=file_name, plan=plan,
        summary=plan.summary() if plan else None, problem=problem, names=names, sheet=shown,
        chosen_sheet=options.sheet or "", grid_rows=_grid(sheets.get(shown, []), layout),
        layout=layout, fields=FIELDS, field_labels=FIELD_LABELS,
        unknown=_word_choices(grid, options), options_json=json.dumps(options.to_dict()),
        mappings=list_mapping_names(), column_letter=column_letter), 200 if plan else 422


def _grid(rows, layout) -> dict:
    """The sheet's first rows as text, with the header row and each column's field."""
    header = layout.header_row if layout and layout.header_row else 1
    last = min(len(rows), max(header + 10, PREVIEW_ROWS))
    shown = rows[:last]
    width = min(max([len(r) for r in shown] + [max(layout.fields, default=-1) + 1
                                                if layout else 0]), PREVIEW_COLUMNS)
    cells = [[_text(cell_at(row, c).value) for c in range(width)] for row in shown]
    fields = [(layout.fields.get(c) if layout else None) for c in range(width)]
    return {"rows": cells, "fields": fields, "width": width, "header": header,
            "more": len(rows) - last}


def _text(value) -> str:
    if is_blank(value):
        return ""
    text = value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS - 1] + "…"


def _word_choices(grid, options: Options) -> list[dict]:
    """Each unknown word (and each word already explained) with the values it may take."""
    rows = []
    for name, counter in grid.unknown_values.items():
        for text, count in counter.most_common():
            rows.append({"field": name, "text": text, "count": count, "chosen": ""})
    for name, words in options.values.items():
        for text, value in words.items():
            rows.append({"field": name, "text": text, "count": None, "chosen": value})
    for row in rows:
        row["choices"] = [(v, VALUE_LABELS[v]) for v in FIELD_VALUES.get(row["field"], ())]
    return [r for r in rows if r["choices"]]


def _form_options(form) -> Options:
    sheet = form.get("sheet") or None
    same_sheet = sheet == (form.get("shown_sheet") or None) or not form.get("shown_sheet")
    options = Options(sheet)
    if same_sheet:
        header = form.get("header_row", "").strip()
        options.header_row = int(header) if header.isdigit() and int(header) > 0 else None
        for key in form:
            match = re.fullmatch(r"col-([A-Z]{1,3})", key)
            chosen = form.get(key)
            if match and (chosen in FIELDS or chosen == "ignore"):
                options.assign.append((chosen, match.group(1)))
    for key in form:
        match = re.fullmatch(r"word-(\d{1,4})", key)
        name, value = form.get(f"field-{match.group(1)}", "") if match else "", form.get(key)
        if match and value in FIELD_VALUES.get(name, ()):
            text = normalise(form.get(f"text-{match.group(1)}", ""))
            options.values.setdefault(name, {})[text] = value
    return options


@bp.route("/soa/import/<token>/<any(apply, cancel):action>", methods=["POST"])
@allow(Role.LEAD)
def import_confirm(token: str, action: str):
    """Apply a previewed import in one transaction (saving its mapping if named), or drop it."""
    path = _path(token)
    try:
        if action == "cancel":
            flash("The import was cancelled; nothing changed.", "info")
            return redirect(url_for("soa.index"))
        try:
            options = Options.from_dict(json.loads(request.form.get("options") or "{}"))
        except (ValueError, TypeError, AttributeError):
            options = Options()
        try:
            grid, _, names = read_file(path, options)
            plan = plan_from_grid(grid, options, names)
            if request.form.get("save_as", "").strip():
                save_mapping(request.form["save_as"], options, str(current_user.id),
                             current_user.id)
            count = apply_import(plan, current_user)
        except (ImportRefused, MappingError) as error:
            db.session.rollback()
            flash(f"Nothing was imported: {error}", "error")
            return redirect(url_for("soa.import_upload"))
        db.session.commit()
        flash(f"Imported the decisions on {count} controls.", "success")
        return redirect(url_for("controls.index"))
    finally:
        if os.path.exists(path):
            os.unlink(path)
