"""What the API reads and writes; the OpenAPI description is generated from these schemas."""

from collections.abc import Mapping

import marshmallow as ma
from marshmallow import fields, validate

from restapi.paging import PageArgs

APPLICABILITY = ("applicable", "excluded")
REASONS = ("legal", "contractual", "business", "risk")
STATUSES = ("not_started", "planned", "partial", "implemented")
RESPONSIBILITIES = ("company", "aws", "shared")
CADENCES = ("none", "monthly", "quarterly", "half_yearly", "yearly")
OUTCOMES = ("effective", "needs_improvement", "not_effective")
KINDS = ("file", "link", "statement", "third_party_report")
TEXT = validate.Length(max=4000)


class RecordSchema(ma.Schema):
    """A schema of the services' records (frozen dataclasses: every field an attribute).

    Each field still formats its own value; what is skipped is marshmallow's generic way of
    reading it (`Field.serialize`, `get_value`, the accessor), which cost as much as the
    formatting, and the call for values a field would return unchanged (None, and a plain
    str for a String, a plain int for an Integer, a bool for a Boolean). A mapping, or a
    record that lacks a field, is dumped the usual way."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plan = tuple(
            (field.data_key or name, field.attribute or name, _serializer(field),
             _unchanged(field))
            for name, field in self.dump_fields.items())
        self._direct = all(field._CHECK_ATTRIBUTE and "." not in (field.attribute or name)
                           for name, field in self.dump_fields.items())

    def _serialize(self, obj, *, many=False):
        if many and obj is not None:
            return [self._serialize(one) for one in obj]
        if obj is None or isinstance(obj, Mapping) or not self._direct:
            return super()._serialize(obj)
        try:
            return {key: value if (value := getattr(obj, attr)).__class__ in unchanged
                    else serialize(value, attr, obj)
                    for key, attr, serialize, unchanged in self._plan}
        except AttributeError:
            return super()._serialize(obj)


def _unchanged(field) -> frozenset:
    """The classes of values the field returns as they are (exact classes: no subclasses)."""
    kind = type(field)
    if kind is fields.String:
        return frozenset({str, type(None)})
    if kind is fields.Integer and not field.as_string:
        return frozenset({int, type(None)})
    if kind is fields.Boolean:
        return frozenset({bool, type(None)})
    return frozenset()


def _serializer(field):
    """The field's own formatting; for a list of strings, plain strings pass unchanged."""
    if type(field) is fields.List and type(field.inner) is fields.String:
        inner = field.inner._serialize

        def texts(value, attr, obj):
            if value is None:
                return None
            return [each if each.__class__ is str else inner(each, attr, obj)
                    for each in value]

        return texts
    return field._serialize


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class ControlSchema(RecordSchema):
    edition = fields.String(required=True)
    control_id = fields.String(required=True)
    title = fields.String(required=True)
    group_id = fields.String(required=True)
    group_title = fields.String(required=True)
    applicability = fields.String(allow_none=True, required=True)
    reasons = fields.List(fields.String(), required=True)
    justification = fields.String(required=True)
    implementation_status = fields.String(allow_none=True, required=True)
    responsibility = fields.String(required=True)
    company_part = fields.String(required=True)
    aws_part = fields.String(required=True)
    owner_id = fields.Integer(allow_none=True, required=True)
    owner_name = fields.String(allow_none=True, required=True)
    review_cadence = fields.String(required=True)
    first_review_on = fields.Date(allow_none=True, required=True)
    next_review_on = fields.Date(allow_none=True, required=True)
    review_status = fields.String(required=True)
    evidence_status = fields.String(required=True)
    risk_refs = fields.String(required=True)
    notes = fields.String(required=True)
    updated_at = fields.DateTime(allow_none=True, required=True)


class ControlFilterArgs(PageArgs):
    """The control list's filters, with the same names and values as the page."""

    group = fields.String(metadata={"description": "A group (clause or theme) id, e.g. A.9"})
    status = fields.String(validate=validate.OneOf(
        ("undecided", "excluded", "not_implemented", *STATUSES)))
    responsibility = fields.String(validate=validate.OneOf(RESPONSIBILITIES))
    owner = fields.String(validate=validate.Regexp(r"^(none|[0-9]{1,9})$"),
                          metadata={"description": "A user id, or 'none'"})
    evidence = fields.String(validate=validate.OneOf(("none", "expired", "expiring", "current")))
    review = fields.String(validate=validate.OneOf(("due", "overdue", "due_soon", "none")))
    risk = fields.String(validate=validate.OneOf(("unlinked", "linked")))
    q = fields.String(validate=validate.Length(max=100))


class DecisionSchema(Strict):
    """A change of a control's decision; fields left out keep their value."""

    applicability = fields.String(validate=validate.OneOf(APPLICABILITY))
    reasons = fields.List(fields.String(validate=validate.OneOf(REASONS)),
                          validate=validate.Length(max=4))
    justification = fields.String(validate=TEXT)
    implementation_status = fields.String(allow_none=True, validate=validate.OneOf(STATUSES))
    responsibility = fields.String(validate=validate.OneOf(RESPONSIBILITIES))
    company_part = fields.String(validate=TEXT)
    aws_part = fields.String(validate=TEXT)
    owner_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    review_cadence = fields.String(validate=validate.OneOf(CADENCES))
    first_review_on = fields.Date(allow_none=True)
    notes = fields.String(validate=TEXT)
    risk_refs = fields.String(validate=validate.Length(max=500))


class IfMatchArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    if_match = fields.String(data_key="If-Match", metadata={
        "description": "The ETag of the control as last read; a stale one gets 412"})


class DecisionResultSchema(ma.Schema):
    control = fields.Nested(ControlSchema, required=True)
    warnings = fields.List(fields.String(), required=True)


class ReviewSchema(RecordSchema):
    id = fields.Integer(required=True)
    edition = fields.String(required=True)
    control_id = fields.String(required=True)
    reviewed_on = fields.Date(required=True)
    outcome = fields.String(required=True)
    notes = fields.String(required=True)
    reviewer_id = fields.Integer(required=True)
    reviewer_name = fields.String(required=True)
    evidence_version_ids = fields.List(fields.Integer(), required=True)
    corrects_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class NewReviewSchema(Strict):
    reviewed_on = fields.Date(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    notes = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    evidence_version_ids = fields.List(fields.Integer(validate=validate.Range(min=1,
                                                                              max=2**31 - 1)),
                                       load_default=list, validate=validate.Length(max=100))


class VersionSchema(RecordSchema):
    number = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    file_name = fields.String(allow_none=True, required=True)
    media_type = fields.String(required=True)
    url = fields.String(allow_none=True, required=True)
    collected_on = fields.Date(required=True)
    valid_until = fields.Date(allow_none=True, required=True)
    uploaded_at = fields.DateTime(allow_none=True, required=True)
    is_purged = fields.Boolean(required=True)


class EvidenceSchema(RecordSchema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    owner_id = fields.Integer(required=True)
    owner_name = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    description = fields.String(required=True)
    controls = fields.List(fields.String(), required=True)
    latest = fields.Nested(VersionSchema, allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class EvidenceDetailSchema(EvidenceSchema):
    versions = fields.List(fields.Nested(VersionSchema), required=True)


class EvidenceFilterArgs(PageArgs):
    """The evidence list's filters, as on the page."""

    control = fields.String(validate=validate.Length(max=16))
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(("current", "expiring", "expired")))
    owner = fields.String(validate=validate.Regexp(r"^[0-9]{1,9}$"),
                          metadata={"description": "A user id"})
    q = fields.String(validate=validate.Length(max=100))


def _binary(**kwargs):
    return fields.Raw(metadata={"type": "string", "format": "binary"}, **kwargs)


class VersionInput(Strict):
    """A new version: a file for file kinds, `url` for links, `text` for statements."""

    file = _binary()
    url = fields.String(validate=validate.Length(max=2000))
    text = fields.String(validate=validate.Length(max=20000))
    collected_on = fields.Date(metadata={"description": "Default: today"})
    valid_until = fields.Date(allow_none=True)
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class NewEvidenceInput(VersionInput):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    controls = fields.String(load_default="", validate=validate.Length(max=2000), metadata={
        "description": "Control ids to link, e.g. 'A.12.3.1, 8.13'"})
    with_counterparts = fields.Boolean(load_default=False)
    description = fields.String(load_default="", validate=TEXT)
    tags = fields.String(load_default="", validate=validate.Length(max=500))
    owner_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    issuer = fields.String(load_default="", validate=validate.Length(max=200))
    report_name = fields.String(load_default="", validate=validate.Length(max=200))


class LinkInput(Strict):
    controls = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                             metadata={"description": "Control ids, e.g. 'A.12.3.1, 8.13'"})
    with_counterparts = fields.Boolean(load_default=False)


class LinkResultSchema(ma.Schema):
    added = fields.Integer(required=True)
    evidence = fields.Nested(EvidenceDetailSchema, required=True)


class SoaVersionSchema(ma.Schema):
    number = fields.Integer(required=True)
    edition = fields.String(required=True)
    status = fields.String(required=True)
    change_summary = fields.String(required=True)
    submitted_by = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)
    approved_by = fields.String(allow_none=True, required=True)
    approved_at = fields.DateTime(allow_none=True, required=True)
    approver_title = fields.String(required=True)
    sha256 = fields.String(allow_none=True, required=True)
    previous_sha256 = fields.String(allow_none=True, required=True)


class SoaCheckSchema(ma.Schema):
    edition = fields.String(required=True)
    ready = fields.Boolean(required=True)
    undecided = fields.List(fields.String(), required=True)
    missing_reason = fields.List(fields.String(), required=True)
    missing_justification = fields.List(fields.String(), required=True)
    missing_status = fields.List(fields.String(), required=True)


class RiskSchema(ma.Schema):
    ref = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    asset = fields.String(required=True)
    owner_name = fields.String(allow_none=True, required=True)
    likelihood = fields.Integer(required=True)
    impact = fields.Integer(required=True)
    level = fields.Integer(required=True)
    band = fields.String(required=True)
    treatment = fields.String(required=True)
    plan = fields.String(required=True)
    plan_status = fields.String(required=True)
    plan_due = fields.Date(allow_none=True, required=True)
    residual_level = fields.Integer(allow_none=True, required=True)
    accepted_on = fields.Date(allow_none=True, required=True)
    controls = fields.List(fields.String(), required=True)
    updated_at = fields.DateTime(allow_none=True, required=True)


class RiskFilterArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=100))
    owner = fields.String(validate=validate.Regexp(r"^(none|[0-9]{1,9})$"),
                          metadata={"description": "A user id, or 'none'"})
    treatment = fields.String(validate=validate.OneOf(("modify", "retain", "avoid", "share")))
    plan_status = fields.String(validate=validate.OneOf(("not_started", "in_progress", "done")))
    band = fields.String(validate=validate.OneOf(("low", "medium", "high")))
    control = fields.String(validate=validate.Length(max=16))
    accepted = fields.String(validate=validate.OneOf(("yes", "no")))


class FindingSchema(ma.Schema):
    ref = fields.String(required=True)
    type = fields.String(required=True)
    source = fields.String(required=True)
    source_ref = fields.String(required=True)
    refs = fields.String(required=True)
    description = fields.String(required=True)
    root_cause = fields.String(required=True)
    status = fields.String(required=True)
    raised_on = fields.Date(required=True)
    raised_by_name = fields.String(required=True)
    verified_on = fields.Date(allow_none=True, required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)


class FindingFilterArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(
        ("open", "action_planned", "awaiting_verification", "closed")))


class AuditEventSchema(ma.Schema):
    seq = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    object_type = fields.String(required=True)
    object_id = fields.String(required=True)
    before = fields.Dict(allow_none=True, required=True)
    after = fields.Dict(allow_none=True, required=True)
    ip = fields.String(allow_none=True, required=True)
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class AuditFilterArgs(PageArgs):
    actor = fields.String(validate=validate.Length(max=128))
    action = fields.String(validate=validate.Length(max=128))
    object_type = fields.String(validate=validate.Length(max=128))
    object_id = fields.String(validate=validate.Length(max=128))
    from_ = fields.Date(data_key="from")
    until = fields.Date()


class AwsRunSchema(ma.Schema):
    id = fields.Integer(required=True)
    connection = fields.String(required=True)
    account_id = fields.String(required=True)
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)
    status = fields.String(required=True)
    trigger = fields.String(required=True)
    message = fields.String(required=True)
    results = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
