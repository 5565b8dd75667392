"""Review cadence, recorded reviews, follow-ups, My work and the calendar feed."""

import io
import re
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from controls.models import ControlState, FollowUp, Review
from controls.reviews import add_months
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db, utcnow
from tests.evidence_helpers import TODAY, own, upload_form

DECISION = {"applicability": "applicable", "reasons": ["risk"], "responsibility": "company",
            "implementation_status": "partial", "review_cadence": "quarterly"}


def _state(app, control_id="A.9.1.1") -> ControlState:
    with app.app_context():
        state = db.session.scalars(select(ControlState).filter_by(
            edition="2013", control_id=control_id)).one()
        db.session.expunge(state)
        return state


def _review_form(**overrides) -> dict:
    data = {"reviewed_on": TODAY.isoformat(), "outcome": "effective",
            "notes": "Walked through the access list.",
            "follow_ups-0-title": "", "follow_ups-0-owner_id": "", "follow_ups-0-due_on": ""}
    data.update(overrides)
    return data


def _errors(html: str) -> list[str]:
    return re.findall(r'class="field-errors"[^>]*>\s*<li>(.*?)</li>', html, re.S)


@pytest.mark.parametrize("day,months,expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 5, 15), 12, date(2027, 5, 15)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
])
def test_cadences_move_by_calendar_months(day, months, expected):
    assert add_months(day, months) == expected


def test_a_new_cadence_is_first_due_one_cadence_out_or_on_the_chosen_date(app, client,
                                                                         login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.9.1.1/edit", data=DECISION)
    assert _state(app).first_review_on == add_months(TODAY, 3)
    chosen = TODAY + timedelta(days=10)
    client.post("/controls/A.9.1.2/edit", data={**DECISION,
                                                "first_review_on": chosen.isoformat()})
    assert _state(app, "A.9.1.2").first_review_on == chosen
    # Day one shows nothing overdue.
    assert "<strong>0</strong> reviews overdue" in client.get("/").get_data(as_text=True)
    assert "<strong>1</strong> reviews due soon" in client.get("/").get_data(as_text=True)
    client.post("/controls/A.9.1.2/edit", data={**DECISION, "review_cadence": "none"})
    assert _state(app, "A.9.1.2").first_review_on is None


def test_recording_a_review_pins_evidence_moves_the_due_date_and_adds_follow_ups(
        app, client, login_as, make_user):
    lead = login_as(Role.LEAD)
    owner = make_user(Role.OWNER, name="Olga")
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "owner_id": str(owner.id)})
    client.post("/evidence/new", data=upload_form(), content_type="multipart/form-data")
    form = client.get("/controls/A.9.1.1/reviews/new").get_data(as_text=True)
    version_id = re.search(r'name="evidence_versions"[^>]*value="(\d+)"', form).group(1)
    reviewed_on = TODAY - timedelta(days=5)
    response = client.post("/controls/A.9.1.1/reviews/new", data=_review_form(
        reviewed_on=reviewed_on.isoformat(), outcome="needs_improvement",
        evidence_versions=version_id, **{"follow_ups-0-title": "Remove stale users",
                                         "follow_ups-0-owner_id": str(owner.id),
                                         "follow_ups-0-due_on": (TODAY + timedelta(
                                             days=7)).isoformat()}))
    assert response.status_code == 302
    with app.app_context():
        review = db.session.scalars(select(Review)).one()
        follow_up = db.session.scalars(select(FollowUp)).one()
        event = db.session.scalars(select(AuditEvent).filter_by(action="review.create")).one()
    assert review.reviewer_id == lead.id and review.outcome.value == "needs_improvement"
    assert (follow_up.title, follow_up.owner_id) == ("Remove stale users", owner.id)
    assert event.after["evidence_versions"] == [int(version_id)]
    # A later version does not change what the review looked at.
    item_id = re.search(r"/evidence/(\d+)", client.get("/evidence").get_data(as_text=True))
    client.post(f"/evidence/{item_id.group(1)}/versions/new", data={
        "file": (io.BytesIO(b"v2"), "v2.txt"), "collected_on": TODAY.isoformat()},
        content_type="multipart/form-data")
    page = client.get("/controls/A.9.1.1").get_data(as_text=True)
    assert "Access control policy v1" in page
    assert f"last reviewed {reviewed_on}" in page
    assert str(add_months(reviewed_on, 3)) in page


@pytest.mark.parametrize("overrides,message", [
    ({"reviewed_on": (TODAY + timedelta(days=1)).isoformat()}, "cannot be dated in the future"),
    ({"notes": "  "}, "Say what was checked."),
    ({"outcome": ""}, "Choose the outcome."),
    ({"follow_ups-0-title": "Fix it", "follow_ups-0-due_on": TODAY.isoformat()},
     "A follow-up needs an owner."),
    ({"follow_ups-0-title": "Fix it", "follow_ups-0-owner_id": "OWNER"},
     "A follow-up needs a due date."),
    ({"follow_ups-0-owner_id": "OWNER", "follow_ups-0-due_on": TODAY.isoformat()},
     "Describe the action."),
])
def test_bad_reviews_are_refused_and_nothing_is_saved(app, client, login_as, overrides,
                                                      message):
    lead = login_as(Role.LEAD)
    client.post("/controls/A.9.1.1/edit", data=DECISION)
    data = {k: (str(lead.id) if v == "OWNER" else v) for k, v in _review_form(
        **overrides).items()}
    response = client.post("/controls/A.9.1.1/reviews/new", data=data)
    assert response.status_code == 422
    assert any(message in e for e in _errors(response.get_data(as_text=True)))
    with app.app_context():
        assert db.session.scalars(select(Review)).all() == []
        assert db.session.scalars(select(FollowUp)).all() == []


def test_a_cadence_change_recomputes_the_due_date_from_the_last_review(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.9.1.1/edit", data=DECISION)
    reviewed = TODAY - timedelta(days=40)
    client.post("/controls/A.9.1.1/reviews/new", data=_review_form(
        reviewed_on=reviewed.isoformat()))
    assert str(add_months(reviewed, 3)) in client.get("/controls/A.9.1.1").get_data(
        as_text=True)
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "review_cadence": "monthly"})
    page = client.get("/controls/A.9.1.1").get_data(as_text=True)
    assert f"overdue</span> {add_months(reviewed, 1)}" in page
    with app.app_context():
        assert len(db.session.scalars(select(Review)).all()) == 1
    assert 'href="/controls/A.9.1.1"' in client.get("/controls?review=overdue").get_data(
        as_text=True)


def test_records_are_editable_for_24_hours_then_corrected_by_a_new_record(app, client,
                                                                         login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.9.1.1/edit", data=DECISION)
    client.post("/controls/A.9.1.1/reviews/new", data=_review_form())
    with app.app_context():
        review_id = db.session.scalar(select(Review.id))
    response = client.post(f"/reviews/{review_id}/edit", data={
        "outcome": "not_effective", "notes": "Second look: the list was stale."})
    assert response.status_code == 302
    with app.app_context():
        db.session.execute(update(Review).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    late = client.get(f"/reviews/{review_id}/edit")
    assert late.status_code == 302 and f"corrects={review_id}" in late.headers["Location"]
    client.post(f"/controls/A.9.1.1/reviews/new?corrects={review_id}",
                data=_review_form(notes="Correction: the list is fine."))
    with app.app_context():
        reviews = db.session.scalars(select(Review).order_by(Review.id)).all()
    assert [(r.outcome.value, r.corrects_id) for r in reviews] == [
        ("not_effective", None), ("effective", review_id)]
    assert reviews[0].notes == "Second look: the list was stale."


def test_follow_ups_are_closed_by_their_owner_or_the_lead(app, client, make_user, login):
    lead, owner, other = make_user(Role.LEAD), make_user(Role.OWNER), make_user(Role.OWNER)
    login(lead)
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "owner_id": str(owner.id)})
    client.post("/controls/A.9.1.1/reviews/new", data=_review_form(**{
        "follow_ups-0-title": "Rotate keys", "follow_ups-0-owner_id": str(owner.id),
        "follow_ups-0-due_on": (TODAY - timedelta(days=1)).isoformat()}))
    with app.app_context():
        follow_up_id = db.session.scalar(select(FollowUp.id))
    client.post("/logout")
    login(other)
    assert client.post(f"/follow-ups/{follow_up_id}/done").status_code == 403
    client.post("/logout")
    login(owner)
    my = client.get("/my").get_data(as_text=True)
    assert "Rotate keys" in my and "overdue" in my
    assert client.post(f"/follow-ups/{follow_up_id}/done").status_code == 302
    with app.app_context():
        assert db.session.get(FollowUp, follow_up_id).done_on == TODAY
    assert "No open follow-ups." in client.get("/my").get_data(as_text=True)


def test_an_owner_cannot_review_a_control_they_do_not_own(client, make_user, login):
    login(make_user(Role.OWNER))
    assert client.get("/controls/A.9.1.1/reviews/new").status_code == 403
    assert client.post("/controls/A.9.1.1/reviews/new", data=_review_form()).status_code == 403


def test_my_work_lists_expiring_evidence(app, client, login_as):
    own(app, login_as(Role.OWNER))
    client.post("/evidence/new", data=upload_form(
        valid_until=(TODAY + timedelta(days=3)).isoformat()), content_type="multipart/form-data")
    page = client.get("/my").get_data(as_text=True)
    assert "Access control policy" in page and "expiring" in page


def test_the_calendar_feed_parses_has_one_event_per_due_item_and_can_be_revoked(
        client, login_as, login):
    lead = login_as(Role.LEAD)
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "owner_id": str(lead.id)})
    client.post("/controls/A.9.1.2/edit", data={**DECISION, "review_cadence": "yearly"})
    client.post("/controls/A.9.1.1/reviews/new", data=_review_form(**{
        "follow_ups-0-title": "Rotate keys", "follow_ups-0-owner_id": str(lead.id),
        "follow_ups-0-due_on": (TODAY + timedelta(days=3)).isoformat()}))
    flashed = client.post("/my/calendar", follow_redirects=True).get_data(as_text=True)
    feed_url = re.search(r"(http://localhost/calendar/[^ <]+\.ics)", flashed).group(1)
    path = feed_url.replace("http://localhost", "")
    client.post("/logout")
    response = client.get(path)  # no login: the token is the key
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = Calendar.from_ical(response.data).walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == ["Follow-up: Rotate keys", "Review A.9.1.1 Access control policy",
                         "Review A.9.1.2 Access to networks and network services"]
    starts = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in events}
    assert starts["Review A.9.1.1 Access control policy"] == add_months(TODAY, 3)
    assert len({str(e["UID"]) for e in events}) == 3
    login(lead)
    client.post("/my/calendar", data={"action": "revoke"})
    assert client.get(path).status_code == 404
