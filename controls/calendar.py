"""The iCalendar feed of review and follow-up due dates for one person."""

from datetime import timedelta

from controls.reviews import open_follow_ups
from controls.services import list_control_rows
from isms.api import Role, User, get_edition, get_organisation, mail_domain, utcnow


def build_feed(user: User) -> bytes:
    """Return the feed: one all-day event per due review and open follow-up."""
    edition = get_organisation().edition
    catalog, domain, stamp = get_edition(edition), mail_domain(), utcnow()
    rows = list_control_rows(edition)
    if user.role is not Role.LEAD:  # the lead follows every control, owners their own
        rows = [r for r in rows if r.state.owner_id == user.id]
    from icalendar import Calendar  # imported by the first feed, not at a worker's start

    feed = Calendar()
    feed.add("prodid", "-//isms//review calendar//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", "ISMS reviews")
    for row in rows:
        due = row.review.next_due  # the row's review status, as of today
        if due is None:
            continue
        title = catalog.get(row.item.control_id).title
        feed.add_component(_event(
            f"review-{edition}-{row.item.control_id}-{due.isoformat()}@{domain}", stamp, due,
            f"Review {row.item.control_id} {title}"))
    follow_ups = open_follow_ups(None if user.role is Role.LEAD else user.id)
    for follow_up in follow_ups:
        feed.add_component(_event(f"follow-up-{follow_up.id}@{domain}", stamp, follow_up.due_on,
                                  f"Follow-up: {follow_up.title}"))
    return feed.to_ical()


def _event(uid: str, stamp, day, summary: str):
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    return event
