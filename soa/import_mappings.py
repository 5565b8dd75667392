"""Named import mappings: how to read a workbook someone keeps, saved once and reused."""

from sqlalchemy import select

from isms.api import db, record_event, utcnow
from soa.grid import Options
from soa.models import ImportMapping
from soa.vocabulary import FIELD_VALUES, FIELDS

MAX_NAME = 100


class MappingError(ValueError):
    """A mapping or an option that cannot be used; the message says why."""


def list_mapping_names() -> list[str]:
    """Every saved mapping's name, alphabetically."""
    return list(db.session.scalars(select(ImportMapping.name).order_by(ImportMapping.name)))


def get_mapping(name: str) -> Options:
    """The saved mapping of that name; MappingError when there is none."""
    mapping = db.session.scalars(select(ImportMapping).filter_by(name=name)).one_or_none()
    if mapping is None:
        raise MappingError(f"There is no saved mapping called '{name}'.")
    return Options.from_dict(mapping.settings)


def save_mapping(name: str, options: Options, actor: str | None, user_id: int | None) -> None:
    """Save (or replace) a mapping under a name, audited; the caller commits."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise MappingError(f"A mapping needs a name of 1 to {MAX_NAME} characters.")
    settings = options.to_dict()
    mapping = db.session.scalars(select(ImportMapping).filter_by(name=name)).one_or_none()
    before = mapping.settings if mapping else None
    if mapping is None:
        mapping = ImportMapping(name=name, settings=settings, created_by_id=user_id)
        db.session.add(mapping)
    else:
        mapping.settings, mapping.updated_at = settings, utcnow()
    db.session.flush()
    record_event("soa.import_mapping.save", "soa_import_mapping", name, before=before,
                 after=settings, actor=actor)


def parse_map(spec: str) -> tuple[str, str]:
    """`FIELD=COLUMN` -> (field, column); the field must be one the importer knows."""
    name, sep, column = spec.partition("=")
    name, column = name.strip(), column.strip()
    if not sep or not column or (name not in FIELDS and name != "ignore"):
        raise MappingError(f"--map {spec}: write FIELD=COLUMN, FIELD one of "
                           f"{', '.join(FIELDS)} (or ignore).")
    return name, column


def parse_value(spec: str) -> tuple[str, str, str]:
    """`FIELD:TEXT=VALUE` -> (field, text, value), the value one the field can hold."""
    name, sep, rest = spec.partition(":")
    text, eq, value = rest.rpartition("=")
    name, text, value = name.strip(), text.strip(), value.strip()
    allowed = FIELD_VALUES.get(name)
    if not sep or not eq or not text or allowed is None or value not in allowed:
        fields = ", ".join(f"{f} ({'|'.join(v)})" for f, v in FIELD_VALUES.items())
        raise MappingError(f"--value {spec}: write FIELD:TEXT=VALUE, with {fields}.")
    return name, text, value
