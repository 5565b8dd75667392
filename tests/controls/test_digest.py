"""The daily digest over a real loopback SMTP server."""

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from controls.digest import collect_digests, digest_job, message_id_for
from controls.models import DigestClaim
from isms.audit import AuditEvent
from isms.auth.models import User
from isms.db import db, utcnow
from tests.conftest import free_port

BRUSSELS = ZoneInfo("Europe/Brussels")


def _morning(day: date | None = None) -> str:
    return f"{day or date.today()}T08:00"


def _demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def _expected_recipients(app, day: date) -> set[str]:
    with app.app_context():
        owners = collect_digests("2013", day)
        return {u.email for u in db.session.scalars(select(User).where(User.id.in_(owners)))}


def test_the_digest_reaches_each_person_once_a_day(app, runner, smtp):
    _demo(runner)
    first = runner.invoke(args=["jobs", "run", "digest", "--now", _morning()])
    assert first.exit_code == 0, first.output
    recipients = smtp.recipients()
    assert sorted(recipients) == sorted(set(recipients))
    assert set(recipients) == _expected_recipients(app, date.today())
    assert {"lead@cloudar.example", "cloud@cloudar.example"} <= set(recipients)
    assert "auditor@certifier.example" not in recipients
    again = runner.invoke(args=["jobs", "run", "digest", "--now", f"{date.today()}T17:30"])
    assert again.exit_code == 0 and len(smtp.messages) == len(recipients)
    lead_mail = next(m for m in smtp.messages if m["To"] == "lead@cloudar.example")
    text = lead_mail.get_body(("plain",)).get_content()
    html = lead_mail.get_body(("html",)).get_content()
    assert "http://127.0.0.1:5000/my" in text and 'href="http://127.0.0.1:5000/my"' in html
    assert "Across the ISMS" in text
    assert lead_mail["Message-ID"] == f"<digest.{_user_id(app, 'lead@cloudar.example')}." \
                                      f"{date.today():%Y%m%d}@127.0.0.1>"
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).filter_by(action="digest.run")).one()
    assert event.after == {"sent": len(recipients), "failed": 0}


def _user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).filter_by(email=email))


def test_when_smtp_is_down_nothing_is_marked_sent_and_a_later_run_retries(app, runner, smtp):
    _demo(runner)
    working_port = app.config["ISMS_SMTP_PORT"]
    app.config["ISMS_SMTP_PORT"] = free_port()  # nothing listens there
    down = runner.invoke(args=["jobs", "run", "digest", "--now", _morning()])
    assert down.exit_code == 0 and smtp.messages == []
    with app.app_context():
        claims = db.session.scalars(select(DigestClaim)).all()
    assert claims and all(c.sent_at is None for c in claims)
    app.config["ISMS_SMTP_PORT"] = working_port
    runner.invoke(args=["jobs", "run", "digest", "--now", f"{date.today()}T09:00"])
    assert Counter(smtp.recipients()) == Counter(set(smtp.recipients()))
    assert {m["Message-ID"] for m in smtp.messages} == {c.message_id for c in claims}


def test_a_claim_left_by_a_crash_is_sent_the_same_day_with_its_message_id(app, runner, smtp):
    _demo(runner)
    lead_id = _user_id(app, "lead@cloudar.example")
    today = date.today()
    with app.app_context():
        claimed = message_id_for(lead_id, today)
        db.session.add(DigestClaim(user_id=lead_id, local_date=today, message_id=claimed))
        db.session.commit()
    runner.invoke(args=["jobs", "run", "digest", "--now", _morning()])
    lead_mail = [m for m in smtp.messages if m["To"] == "lead@cloudar.example"]
    assert len(lead_mail) == 1
    assert lead_mail[0]["Message-ID"] == claimed
    with app.app_context():
        assert all(c.sent_at for c in db.session.scalars(select(DigestClaim)))


# The next transition days after the demo's dates (clocks go forward, then back).
@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)])
def test_on_daylight_saving_days_each_person_gets_one_digest_for_that_day(app, runner, smtp,
                                                                         day):
    _demo(runner)
    for moment in ("00:30", "02:30", "08:00"):
        result = runner.invoke(args=["jobs", "run", "digest", "--now", f"{day}T{moment}"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        claims = db.session.scalars(select(DigestClaim)).all()
    assert {c.local_date for c in claims} == {day}
    assert Counter(smtp.recipients()) == Counter(set(smtp.recipients()))
    assert len(smtp.messages) == len(claims) > 0


def test_a_run_near_midnight_utc_counts_for_the_organisations_date(app, smtp, runner):
    _demo(runner)
    # 23:30 UTC on 27 March is 00:30 on 28 March in Brussels (winter time, UTC+1).
    with app.app_context():
        digest_job(datetime(2027, 3, 27, 23, 30, tzinfo=ZoneInfo("UTC")))
        dates = {c.local_date for c in db.session.scalars(select(DigestClaim))}
    assert dates == {date(2027, 3, 28)}


def test_nothing_due_means_no_email(app, smtp):
    with app.app_context():
        digest_job(utcnow())
    assert smtp.messages == []


def test_without_a_mail_server_the_digest_claims_and_sends_nothing(app, runner, smtp):
    _demo(runner)
    app.config["ISMS_SMTP_HOST"] = ""
    assert runner.invoke(args=["jobs", "run", "digest", "--now", _morning()]).exit_code == 0
    with app.app_context():
        assert db.session.scalars(select(DigestClaim)).all() == []
    assert smtp.messages == []


def test_jobs_run_refuses_an_unknown_job_and_a_bad_time(runner):
    assert "No job nope" in runner.invoke(args=["jobs", "run", "nope"]).output
    assert "not an ISO-8601 time" in runner.invoke(
        args=["jobs", "run", "digest", "--now", "tomorrow"]).output


def test_jobs_list_names_every_job_with_its_next_run(runner):
    output = runner.invoke(args=["jobs", "list"]).output
    for job_id in ("digest", "evidence-expiry", "overdue", "evidence-sweep"):
        assert job_id in output
    assert "cron[hour='8', minute='0'" in output
    tomorrow = (datetime.now(BRUSSELS) + timedelta(days=1)).date()
    assert f"digest             next run {tomorrow}" in output or \
           f"next run {date.today()}" in output
