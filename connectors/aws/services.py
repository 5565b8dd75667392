"""AWS connections: one account, or a whole organization reached through a member role."""

import re
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import select

from connectors.aws.collectors.session import Target
from connectors.aws.models import AwsConnection
from isms.api import STAFF, User, db, record_event

ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
PROFILE = re.compile(r"^[\w.+=@-]{1,128}$")
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
OU_OR_ACCOUNT = re.compile(r"^(\d{12}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$")
FIELDS = ("name", "account_id", "regions", "profile", "role_arn", "external_id", "owner_id",
          "is_enabled", "kind", "role_name", "include_ids", "exclude_ids")
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"


class ConnectorError(ValueError):
    """Bad connection values: `errors` maps each field at fault to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors
        self.field = next(iter(errors))


@dataclass(frozen=True)
class ConnectionValues:
    name: str
    account_id: str
    regions: str
    owner_id: int
    profile: str = ""
    role_arn: str = ""
    external_id: str = ""
    is_enabled: bool = True
    is_organization: bool = False
    role_name: str = ""
    include_ids: str = ""
    exclude_ids: str = ""


def _clean(values: ConnectionValues) -> dict:
    """Check every field; return the columns, or raise naming each field at fault."""
    errors: dict[str, str] = {}
    name = values.name.strip()
    if not name or len(name) > 64:
        errors["name"] = "Give the connection a name of up to 64 characters."
    if not ACCOUNT.match(values.account_id.strip()):
        errors["account_id"] = "An AWS account id is 12 digits."
    regions = list(dict.fromkeys(r.strip() for r in re.split(r"[\s,]+", values.regions) if r))
    if not regions or not all(REGION.match(r) for r in regions):
        errors["regions"] = "Give region names such as eu-west-1, separated by commas."
    for field, pattern, label in (("profile", PROFILE, "profile name"),
                                  ("role_arn", ROLE_ARN, "IAM role ARN"),
                                  ("external_id", EXTERNAL_ID, "external id")):
        value = getattr(values, field).strip()
        if value and not pattern.match(value):
            errors[field] = f"That is not a valid {label}."
    org = values.is_organization
    if values.external_id.strip() and not (values.role_arn.strip() or org):
        errors.setdefault("external_id", "An external id is only used with a role to assume.")
    role_name = (values.role_name.strip() or DEFAULT_ROLE_NAME) if org else ""
    if org and not ROLE_NAME.match(role_name):
        errors["role_name"] = "A role name is up to 64 letters, digits or +=,.@_-."
    lists = {}
    for field in ("include_ids", "exclude_ids"):
        ids = list(dict.fromkeys(i for i in re.split(r"[\s,]+", getattr(values, field)) if i))
        if ids and not org:
            errors[field] = "Only an organization includes or excludes accounts."
        elif not all(OU_OR_ACCOUNT.match(i) for i in ids):
            errors[field] = "Give 12-digit account ids or OU ids (ou-...), separated by commas."
        lists[field] = ",".join(ids)
    owner = (db.session.get(User, values.owner_id)
             if isinstance(values.owner_id, int) and 0 < values.owner_id < 2 ** 31 else None)
    if owner is None or not owner.is_enabled or owner.role not in STAFF:
        errors["owner_id"] = "Choose an existing staff member to own the evidence."
    if errors:
        raise ConnectorError(errors)
    return {"name": name, "account_id": values.account_id.strip(),
            "regions": ",".join(regions), "profile": values.profile.strip(),
            "role_arn": values.role_arn.strip(), "external_id": values.external_id.strip(),
            "owner_id": values.owner_id, "is_enabled": values.is_enabled,
            "kind": "organization" if org else "account", "role_name": role_name, **lists}


def _name_taken(name: str, but: int | None = None) -> bool:
    query = select(AwsConnection.id).where(AwsConnection.name == name)
    if but is not None:
        query = query.where(AwsConnection.id != but)
    return db.session.scalar(query) is not None


def save_connection(values: ConnectionValues, connection: AwsConnection | None = None, *,
                    audit_actor: str) -> AwsConnection:
    """Create or change a connection (the caller commits)."""
    columns = _clean(values)
    if _name_taken(columns["name"], connection.id if connection else None):
        raise ConnectorError({"name": "Another connection has that name."})
    before = {f: getattr(connection, f) for f in FIELDS} if connection else None
    if connection is None:
        connection = AwsConnection(**columns)
        db.session.add(connection)
    else:
        for key, value in columns.items():
            setattr(connection, key, value)
    db.session.flush()
    record_event("aws.connection_save", "aws_connection", connection.id, actor=audit_actor,
                 before=before, after=columns)
    return connection


def target_of(connection: AwsConnection, member: str = "") -> Target:
    """How to reach the connection's account, or one member account of its organization."""
    endpoint = current_app.config["ISMS_AWS_ENDPOINT_URL"]
    regions = tuple(connection.region_list)
    if connection.is_organization:
        base = Target(connection.account_id, regions, connection.profile, connection.role_arn,
                      "", endpoint)
        if not member or member == connection.account_id:
            return base
        return replace(base, account_id=member,
                       member_role_arn=f"arn:aws:iam::{member}:role/{connection.role_name}",
                       member_external_id=connection.external_id)
    return Target(connection.account_id, regions, connection.profile, connection.role_arn,
                  connection.external_id, endpoint)


def list_connections(enabled_only: bool = False) -> list[AwsConnection]:
    query = select(AwsConnection).order_by(AwsConnection.name)
    if enabled_only:
        query = query.where(AwsConnection.is_enabled.is_(True))
    return list(db.session.scalars(query))


def get_connection_by_name(name: str) -> AwsConnection | None:
    return db.session.scalars(select(AwsConnection).filter_by(name=name)).one_or_none()
