"""The daily digest: one email per person with what is due, overdue or expiring."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connectors.api import failing_checks
from controls.models import DigestClaim
from controls.proposals import decided_since, open_proposals
from controls.requests import open_requests_by_owner
from controls.reviews import due_soon_days, open_follow_ups, review_statuses
from controls.services import list_control_rows
from evidence.api import expiring_by_owner
from isms.api import (
    MailError,
    Role,
    User,
    anchor_head,
    db,
    get_edition,
    get_organisation,
    list_events_since,
    mail_domain,
    record_event,
    send_mail,
    utcnow,
)
from management.api import overdue_actions_by_owner

log = logging.getLogger("isms.digest")


@dataclass
class DigestItems:
    reviews: list = field(default_factory=list)  # (catalog item, ReviewStatus)
    follow_ups: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    actions: list = field(default_factory=list)  # overdue management system actions
    sections: list = field(default_factory=list)  # api.DigestSection from packages above
    proposals: list = field(default_factory=list)  # the lead: owners' proposals to decide
    decided: list = field(default_factory=list)  # an owner: their proposals decided lately
    linked_by_others: list = field(default_factory=list)  # (control id, item id, who)
    aws_checks: list = field(default_factory=list)  # (failing check, its control ids)
    overdue_everywhere: int = 0

    def __bool__(self) -> bool:
        return bool(self.reviews or self.follow_ups or self.evidence or self.requests
                    or self.actions or self.aws_checks or self.sections or self.proposals
                    or self.decided or self.linked_by_others)


def local_date_of(now: datetime, timezone: str) -> date:
    """Return the organisation's calendar date at `now`."""
    return now.astimezone(ZoneInfo(timezone)).date()


def collect_digests(edition: str, today: date) -> dict[int, DigestItems]:
    """Gather every person's due items in a handful of queries, whatever the number of people."""
    rows = list_control_rows(edition)
    statuses = review_statuses(edition, [r.state for r in rows], today)
    digests: dict[int, DigestItems] = {}
    overdue = 0
    for row in rows:
        status = statuses[row.item.control_id]
        overdue += status.status == "overdue"
        if status.is_due and row.state.owner_id:
            digests.setdefault(row.state.owner_id, DigestItems()).reviews.append(
                (row.item, status))
    horizon = today + timedelta(days=due_soon_days())
    for follow_up in open_follow_ups(due_by=horizon):
        digests.setdefault(follow_up.owner_id, DigestItems()).follow_ups.append(follow_up)
    for owner_id, summaries in expiring_by_owner(today=today).items():
        digests.setdefault(owner_id, DigestItems()).evidence.extend(summaries)
    for owner_id, requests in open_requests_by_owner().items():
        digests.setdefault(owner_id, DigestItems()).requests.extend(requests)
    for owner_id, actions in overdue_actions_by_owner(today).items():
        digests.setdefault(owner_id, DigestItems()).actions.extend(actions)
    _add_proposals(digests, edition, today)
    _add_links_by_others(digests, edition, today, {r.item.control_id: r.state.owner_id
                                                   for r in rows})
    _add_failing_aws_checks(digests, edition, rows)
    for provider in current_app.extensions.get("controls.digest_sections", []):
        for user_id, sections in provider(edition, today).items():
            digests.setdefault(user_id, DigestItems()).sections.extend(sections)
    for items in digests.values():
        items.overdue_everywhere = overdue
    return digests


def _add_proposals(digests: dict[int, DigestItems], edition: str, today: date) -> None:
    """The leads hear of open proposals; owners of their proposals decided since yesterday."""
    waiting = open_proposals(edition)
    if waiting:
        for lead_id in db.session.scalars(select(User.id).where(User.role == Role.LEAD,
                                                                User.is_enabled)):
            digests.setdefault(lead_id, DigestItems()).proposals.extend(waiting)
    since = datetime.combine(today - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    for owner_id, decided in decided_since(since).items():
        digests.setdefault(owner_id, DigestItems()).decided.extend(decided)


def _add_links_by_others(digests, edition: str, today: date, owners: dict) -> None:
    """Owners hear when someone else added or linked evidence on a control they own."""
    since = datetime.combine(today - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    found = []
    for event in list_events_since("evidence.link", since):
        after = event.after or {}
        owner_id = owners.get(after.get("control_id"))
        if (after.get("edition") == edition and owner_id and event.actor != str(owner_id)
                and not event.actor.startswith("system:")):  # jobs link by design
            found.append((owner_id, after["control_id"], event.object_id, event.actor))
    if not found:
        return
    ids = {int(a) for *_, a in found if a.isdigit()}
    names = {str(u.id): u.display_name for u in db.session.scalars(
        select(User).where(User.id.in_(ids)))} if ids else {}
    for owner_id, control_id, item_id, actor in found:
        who = names.get(actor, actor)
        digests.setdefault(owner_id, DigestItems()).linked_by_others.append(
            (control_id, item_id, who))
def _add_failing_aws_checks(digests: dict, edition: str, rows) -> None:
    """Give each owner the failing AWS checks of their controls (one query for everyone)."""
    owners = {r.item.control_id: r.state.owner_id for r in rows if r.state.owner_id}
    per_owner: dict[int, dict] = {}
    for control_id, flags in failing_checks(edition, list(owners)).items():
        for flag in flags:
            per_owner.setdefault(owners[control_id], {}).setdefault(flag, []).append(control_id)
    for owner_id, flags in per_owner.items():
        digests.setdefault(owner_id, DigestItems()).aws_checks.extend(
            sorted(flags.items(), key=lambda pair: (pair[0].connection, pair[0].check_id)))


def message_id_for(user_id: int, day: date) -> str:
    """A stable Message-ID: a resent digest is recognisably the same message."""
    return f"<digest.{user_id}.{day:%Y%m%d}@{mail_domain()}>"


def digest_job(now: datetime) -> None:
    """Send today's digest to everyone with something due; safe to run again the same day."""
    if not current_app.config["ISMS_SMTP_HOST"]:
        log.info("no mail server configured (ISMS_SMTP_HOST); the digest was not sent")
        return
    org = get_organisation()
    today = local_date_of(now, org.timezone)
    digests = collect_digests(org.edition, today)
    db.session.commit()  # what the sections' providers remembered for the next digest
    if not digests:
        return
    users = db.session.scalars(select(User).where(User.id.in_(list(digests)),
                                                  User.is_enabled)).all()
    claims = {c.user_id: c for c in db.session.scalars(
        select(DigestClaim).where(DigestClaim.local_date == today))}
    sent, failed = 0, 0
    for user in sorted(users, key=lambda u: u.id):
        claim = claims.get(user.id)
        if claim is not None and claim.sent_at is not None:
            continue
        if claim is None:
            claim = DigestClaim(user_id=user.id, local_date=today,
                                message_id=message_id_for(user.id, today))
            db.session.add(claim)
            try:
                db.session.commit()  # claimed before sending: a crash after this retries
            except IntegrityError:
                db.session.rollback()
                continue
        try:
            _send(user, digests[user.id], today, claim.message_id, org)
        except MailError as error:
            db.session.rollback()  # no anchor for a message that was not sent
            log.warning("digest for %s not sent: %s", user.email, error)
            failed += 1
            continue
        claim.sent_at = utcnow()
        db.session.commit()
        sent += 1
    if sent or failed:
        record_event("digest.run", "digest", today.isoformat(), actor="system:digest",
                     after={"sent": sent, "failed": failed})
        db.session.commit()


def _send(user: User, items: DigestItems, today: date, message_id: str, org) -> None:
    base = current_app.config["ISMS_BASE_URL"].rstrip("/")
    context = {"user": user, "items": items, "today": today, "base": base, "org": org,
               "catalog": get_edition(org.edition), "is_lead": user.role is Role.LEAD}
    if user.role is Role.LEAD:  # the lead keeps a copy of the chain head every day
        context["chain_head"] = anchor_head(f"digest {today} to {user.email}")
    count = (len(items.reviews) + len(items.follow_ups) + len(items.evidence)
             + len(items.requests) + len(items.actions) + len(items.proposals)
             + len(items.decided) + len(items.linked_by_others)
             + sum(len(s.lines) for s in items.sections))
    send_mail(user.email, f"{org.name} ISMS: {count} item{'s' if count != 1 else ''} need you "
                          f"({today:%d %b %Y})",
              render_template("controls/email/digest.txt", **context),
              render_template("controls/email/digest.html", **context), message_id)
