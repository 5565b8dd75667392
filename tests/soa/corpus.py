"""SoA workbooks as people keep them (none written by our exporter), built with openpyxl.

Every workbook writes the same decisions (`decide`), each in its own layout and words, so a
test can check what was stored against what the workbook says, field by field.
"""

from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook

OWNERS = [("Anna Janssens", "anna@acme.example"), ("Bob Peeters", "bob@acme.example"),
          ("Chloé Dubois", "chloe@acme.example")]
UNKNOWN_OWNER = "Dirk Onbekend"
STATUSES = ("implemented", "partial", "planned", "not_started")
REASON_SETS = (["risk"], ["legal", "risk"], ["contractual"], ["business", "risk"])


@dataclass(frozen=True)
class Decision:
    """What a workbook row says, in our terms."""

    control_id: str
    title: str
    group: str
    applicable: bool
    reasons: tuple[str, ...]
    justification: str  # "" when the row has none
    status: str | None
    owner: str  # as written in the workbook
    owner_email: str | None  # the user it should match, None when nobody
    evidence: str


def decide(items) -> list[Decision]:
    """The same decisions for every layout: some excluded, owners by name, a few blanks."""
    decisions = []
    for n, item in enumerate(items):
        applicable = n % 9 != 4
        owner, email = (OWNERS[n % 3] if n % 10 != 7 else (UNKNOWN_OWNER, None))
        if n % 3 == 1:
            owner = email or owner  # some by email
        elif n % 3 == 2 and email:
            owner = owner.upper()  # case never matters
        justification = (f"Needed: {item.title.lower()} (ref {n})" if applicable
                         else f"Not relevant to us: no {item.title.lower()} (ref {n})")
        decisions.append(Decision(
            item.control_id, item.title, item.group_id, applicable,
            tuple(REASON_SETS[n % 4]) if applicable else (),
            "" if n % 11 == 3 else justification,
            STATUSES[n % 4] if applicable else None, owner, email, f"EV-{n:03d} on the wiki"))
    return decisions


def _save(path, sheets: dict, merges: dict | None = None, formats: dict | None = None):
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell_range in (merges or {}).get(name, []):
            sheet.merge_cells(cell_range)
        for ref, number_format in (formats or {}).get(name, {}).items():
            sheet[ref].number_format = number_format
    book.save(path)
    return path


# 1. A consultant's 2022 template: title rows, a Clause column holding 5..8 on each group's
#    first row only, one "Justification for Inclusion / Exclusion", owners by name.
EN_STATUS = {"implemented": "Implemented (Documented)", "partial": "In progress",
             "planned": "Planned", "not_started": "Gap — Not Addressed", None: "N/A"}


def consultant_2022(path, decisions):
    rows = [["ACME Ltd — Statement of Applicability"],
            ["ISO/IEC 27001:2022 · Version 3.1 · Classification: Internal"], [],
            ["Clause", "Control", "Control Name", "Applicable (Y/N)",
             "Justification for Inclusion / Exclusion", "Implementation Status",
             "Control Owner", "Evidence / Notes"]]
    group = None
    for n, d in enumerate(decisions):
        first = d.group != group
        group = d.group
        status = ("Not Assessed" if d.status == "not_started" and n % 2 else
                  EN_STATUS[d.status])
        rows.append([int(d.group[2:]) if first else None, d.control_id, d.title,
                     "Y" if d.applicable else "N", d.justification, status, d.owner,
                     d.evidence])
    return _save(path, {"SoA 2022": rows}, {"SoA 2022": ["A1:H1", "A2:H2"]})


# 2. A 2013 workbook with a two-row header: reasons as LR/CO/BR/RRA columns marked X,
#    separate inclusion and exclusion justifications, clause headings merged across.
def two_row_header_2013(path, decisions):
    rows = [["Statement of Applicability — ISMS scope: all offices"],
            ["Annex A", None, "Applicable", "Reason for selection", None, None, None,
             "Justification", None, "Status", "Owner"],
            ["Ref", "Control", None, "LR", "CO", "BR/BP", "RRA", "Inclusion", "Exclusion",
             None, None]]
    merges = ["A1:K1", "A2:B2", "C2:C3", "D2:G2", "H2:I2", "J2:J3", "K2:K3"]
    group = None
    for d in decisions:
        if d.group != group:
            group = d.group
            rows.append([f"{d.group} heading"])
            merges.append(f"A{len(rows)}:K{len(rows)}")
        marks = ["X" if r in d.reasons else None
                 for r in ("legal", "contractual", "business", "risk")]
        rows.append([d.control_id, d.title, "Yes" if d.applicable else "No", *marks,
                     d.justification if d.applicable else None,
                     None if d.applicable else d.justification,
                     {"implemented": "Implemented", "partial": "Partially implemented",
                      "planned": "Planned", "not_started": "Not implemented",
                      None: None}[d.status], d.owner])
    return _save(path, {"Annex A": rows}, {"Annex A": merges})


# 3. One sheet per 2022 theme, ids typed as numbers (5.10 became 5.1), reasons in one column.
def per_theme_numbers_2022(path, decisions):
    themes = {"A.5": "Organisational", "A.6": "People", "A.7": "Physical",
              "A.8": "Technological"}
    sheets, formats = {}, {}
    for d in decisions:
        rows = sheets.setdefault(themes[d.group], [
            [f"{themes[d.group]} controls"],
            ["No.", "Control", "Applicable", "Reason", "Justification", "Status", "Owner"]])
        rows.append([float(d.control_id[2:]), d.title, "Yes" if d.applicable else "No",
                     ", ".join(r.capitalize() for r in d.reasons) or None, d.justification,
                     {"implemented": "Implemented", "partial": "Partial", "planned": "Planned",
                      "not_started": "Not started", None: None}[d.status], d.owner])
    return _save(path, sheets, formats=formats)


# 4. 2013 ids without "A.", some turned into dates by a spreadsheet, a combined reasons text.
def dates_2013(path, decisions):
    rows = [["Ref", "Control description", "Included", "Reasons for inclusion",
             "Justification", "Implementation", "Owner", "Remarks"]]
    for n, d in enumerate(decisions):
        clause, objective, number = (int(p) for p in d.control_id[2:].split("."))
        ref = (datetime(2000 + clause, objective, number) if n % 2 else
               d.control_id[2:])
        rows.append([ref, d.title, "Included" if d.applicable else "Excluded",
                     " / ".join({"legal": "Legal requirement", "contractual": "Contract",
                                 "business": "Best practice", "risk": "Risk assessment"}[r]
                                for r in d.reasons) or None, d.justification,
                     {"implemented": "Done", "partial": "Ongoing", "planned": "To do",
                      "not_started": "Open", None: "n/a"}[d.status], d.owner, d.evidence])
    return _save(path, {"SoA": rows})


# 5. Dutch: "Verklaring van toepasselijkheid".
def dutch_2022(path, decisions):
    rows = [["Verklaring van toepasselijkheid — Acme BV"],
            ["Nr.", "Maatregel", "Van toepassing", "Reden", "Rechtvaardiging",
             "Status implementatie", "Eigenaar", "Opmerkingen"]]
    for d in decisions:
        rows.append([d.control_id, d.title, "Ja" if d.applicable else "Nee",
                     ", ".join({"legal": "Wettelijk", "contractual": "Contractueel",
                                "business": "Bedrijfsbehoefte", "risk": "Risico"}[r]
                               for r in d.reasons) or None, d.justification,
                     {"implemented": "Geïmplementeerd", "partial": "Gedeeltelijk",
                      "planned": "Gepland", "not_started": "Niet geïmplementeerd",
                      None: "Niet van toepassing"}[d.status], d.owner, d.evidence])
    return _save(path, {"VvT": rows})


# 6. French: "Déclaration d'applicabilité".
def french_2022(path, decisions):
    rows = [["Déclaration d'applicabilité (DdA)", None, None, "Version 2"],
            ["Réf.", "Mesure de sécurité", "Applicable", "Raisons", "Justification",
             "Statut de mise en œuvre", "Responsable", "Preuves"]]
    for d in decisions:
        rows.append([d.control_id, d.title, "Oui" if d.applicable else "Non",
                     " ; ".join({"legal": "Légal", "contractual": "Contractuel",
                                 "business": "Métier", "risk": "Risque"}[r]
                                for r in d.reasons) or None, d.justification,
                     {"implemented": "Mis en œuvre", "partial": "Partiellement",
                      "planned": "Planifié", "not_started": "Non mis en œuvre",
                      None: None}[d.status], d.owner, d.evidence])
    return _save(path, {"DdA": rows})


# 7. German, 2013: "Erklärung zur Anwendbarkeit".
def german_2013(path, decisions):
    rows = [["Erklärung zur Anwendbarkeit"], [],
            ["Nr.", "Maßnahme", "Anwendbar", "Gründe", "Begründung", "Umsetzungsstatus",
             "Verantwortlich", "Nachweis"]]
    for d in decisions:
        rows.append([d.control_id, d.title, "Ja" if d.applicable else "Nein",
                     ", ".join({"legal": "Gesetzlich", "contractual": "Vertraglich",
                                "business": "Geschäftlich", "risk": "Risiko"}[r]
                               for r in d.reasons) or None, d.justification,
                     {"implemented": "Umgesetzt", "partial": "Teilweise", "planned": "Geplant",
                      "not_started": "Nicht umgesetzt", None: None}[d.status], d.owner,
                     d.evidence])
    return _save(path, {"EzA": rows})


# 8. A cloud team's 2022 sheet: one reason column each, marked X or ✓, a responsibility split.
def reason_columns_2022(path, decisions):
    rows = [["Control ID", "Control Title", "In scope?", "Legal / Regulatory", "Contractual",
             "Business Requirement / Best Practice", "Results of Risk Assessment",
             "Justification for inclusion", "Reason for exclusion", "Responsibility",
             "Customer responsibility", "AWS responsibility", "Owner"]]
    for n, d in enumerate(decisions):
        mark = "✓" if n % 2 else "X"
        split = ("Shared", "We configure it.", "AWS runs it.") if n % 5 == 0 else (
            "Customer", None, None)
        rows.append([d.control_id, d.title, "Yes" if d.applicable else "No",
                     *[mark if r in d.reasons else None
                       for r in ("legal", "contractual", "business", "risk")],
                     d.justification if d.applicable else None,
                     None if d.applicable else d.justification, *split, d.owner])
    return _save(path, {"Controls": rows})


# 9. A language the importer does not know (Spanish): imported after --map and --value.
ES_STATUS = {"implemented": "Implementado", "partial": "Parcial", "planned": "Planificado",
             "not_started": "Sin iniciar", None: None}


def spanish_2022(path, decisions):
    rows = [["Declaración de aplicabilidad"],
            ["Control", "Nombre", "¿Aplica?", "Estado", "Justificación"]]
    for d in decisions:
        rows.append([d.control_id, d.title, "Sí" if d.applicable else "No",
                     ES_STATUS[d.status], d.justification])
    return _save(path, {"DdA": rows})


@dataclass(frozen=True)
class Layout:
    name: str
    edition: str
    build: object
    has: frozenset  # the fields the layout writes


ALL = frozenset({"applicability", "reasons", "justification", "status", "owner", "notes"})
CORPUS = [
    Layout("consultant_2022", "2022", consultant_2022, ALL - {"reasons"}),
    Layout("two_row_header_2013", "2013", two_row_header_2013, ALL - {"notes"}),
    Layout("per_theme_numbers_2022", "2022", per_theme_numbers_2022, ALL - {"notes"}),
    Layout("dates_2013", "2013", dates_2013, ALL),
    Layout("dutch_2022", "2022", dutch_2022, ALL),
    Layout("french_2022", "2022", french_2022, ALL),
    Layout("german_2013", "2013", german_2013, ALL),
    Layout("reason_columns_2022", "2022", reason_columns_2022, ALL - {"notes", "status"}),
]
