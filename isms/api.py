"""What feature packages may use from the shell; they import nothing else from `isms`."""

from isms.actors import as_option, cli_actor, cli_user, os_user
from isms.audit import (
    actor_of,
    anchor_head,
    chain_head,
    changes,
    jsonable,
    list_events_since,
    list_object_events,
    record_event,
    verify_chain,
)
from isms.auth.guard import (
    ALL_ROLES,
    EDITORS,
    STAFF,
    allow,
    local_today,
    public,
    token_public,
)
from isms.auth.models import Role, User
from isms.auth.scope import may_see, set_auditor_scope, visible_control_ids
from isms.auth.services import (
    UserError,
    count_non_demo_users,
    create_user,
    get_user_by_email,
    issue_calendar_token,
    list_assignable_owners,
    revoke_calendar_token,
    user_for_calendar_token,
)
from isms.backup import BlobStore, register_blob_store
from isms.catalog import (
    EDITIONS,
    CatalogItem,
    Clause,
    Edition,
    aliases,
    clause_ids,
    clauses,
    counterparts,
    get_edition,
)
from isms.catalog.extra import (
    CONTROL_SETS,
    CatalogError,
    add_control_set,
    add_custom_control,
    set_controls,
)
from isms.catalog.models import CatalogControl
from isms.checks import Inconsistency, register_check, run_checks
from isms.core import render_error
from isms.db import UTCDateTime, db, enum_column, utcnow
from isms.exports import is_formula_like, safe_text
from isms.forms import choice_values, choices, form_status, pick_arg, strip_text
from isms.history import (
    HistoryEntry,
    describe_events,
    register_field_labels,
    register_object_link,
)
from isms.jobqueue import drain, enqueue, queue_backend, register_task
from isms.mail import MailError, mail_domain, send_mail
from isms.nav import register_home, register_nav_item
from isms.org import (
    DEFAULT_ORGANISATION_NAME,
    Organisation,
    find_organisation,
    get_organisation,
    local_now,
)
from isms.pause import pause_in_job
from isms.scheduler import register_job
from isms.setup import register_init_step
from isms.uploads import SPOOL_PREFIX, SPOOL_SUFFIX, HashingSpool

__all__ = [
    "ALL_ROLES",
    "CONTROL_SETS",
    "DEFAULT_ORGANISATION_NAME",
    "EDITIONS",
    "EDITORS",
    "SPOOL_PREFIX",
    "SPOOL_SUFFIX",
    "STAFF",
    "BlobStore",
    "CatalogControl",
    "CatalogError",
    "CatalogItem",
    "Clause",
    "Edition",
    "HashingSpool",
    "HistoryEntry",
    "Inconsistency",
    "MailError",
    "Organisation",
    "Role",
    "UTCDateTime",
    "User",
    "UserError",
    "actor_of",
    "add_control_set",
    "add_custom_control",
    "aliases",
    "allow",
    "anchor_head",
    "as_option",
    "chain_head",
    "changes",
    "choice_values",
    "choices",
    "clause_ids",
    "clauses",
    "cli_actor",
    "cli_user",
    "count_non_demo_users",
    "counterparts",
    "create_user",
    "db",
    "describe_events",
    "drain",
    "enqueue",
    "enum_column",
    "find_organisation",
    "form_status",
    "get_edition",
    "get_organisation",
    "get_user_by_email",
    "is_formula_like",
    "issue_calendar_token",
    "jsonable",
    "list_assignable_owners",
    "list_events_since",
    "list_object_events",
    "local_now",
    "local_today",
    "mail_domain",
    "may_see",
    "os_user",
    "pause_in_job",
    "pick_arg",
    "public",
    "queue_backend",
    "record_event",
    "register_blob_store",
    "register_check",
    "register_field_labels",
    "register_home",
    "register_init_step",
    "register_job",
    "register_nav_item",
    "register_object_link",
    "register_task",
    "render_error",
    "revoke_calendar_token",
    "run_checks",
    "safe_text",
    "send_mail",
    "set_auditor_scope",
    "set_controls",
    "strip_text",
    "token_public",
    "user_for_calendar_token",
    "utcnow",
    "verify_chain",
    "visible_control_ids",
]
