"""`isms backup` and `isms restore`: portable between SQLite and PostgreSQL, all or nothing."""

import hashlib
import io
import json
import tarfile

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from isms import create_app
from isms.auth.models import Role, User
from isms.auth.services import create_user
from isms.db import db
from tests.conftest import PASSWORD, base_config

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def instance(tmp_path, name: str, url: str | None = None, **settings):
    folder = tmp_path / name
    return create_app({**base_config(url or f"sqlite:///{folder}/isms.db", str(folder)),
                       **settings})


def run(app, *args: str, code: int = 0) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == code, result.output
    return result.output


def fill(app) -> None:
    """A source instance with every kind of row: demo data, an issued SoA, a purge."""
    from evidence.maintenance import decide_purge, destroy_purged_blob, request_purge
    from evidence.models import EvidencePurge, EvidenceVersion
    from soa.versions import approve, submit
    from tests.soa_helpers import decide_every_control

    run(app, "init", "--name", "Café Ünïcode ☕ Ltd")
    run(app, "demo")
    decide_every_control(app)  # the demo leaves two controls open; issuing needs them decided
    with app.app_context():
        lead = db.session.scalar(select(User).filter_by(email="lead@cloudar.example"))
        admin = db.session.scalar(select(User).filter_by(email="admin@cloudar.example"))
        version = submit(lead, "First issue, with «quotes» and\nnew lines")
        db.session.commit()
        approve(version, admin, "CISO")
        db.session.commit()
        stored = db.session.scalars(select(EvidenceVersion).where(
            EvidenceVersion.storage_key.is_not(None)).order_by(EvidenceVersion.id)).first()
        request_purge(stored, "Personal data uploaded by mistake", lead)
        db.session.commit()
        purge = db.session.scalar(select(EvidencePurge).options(
            selectinload(EvidencePurge.version)))
        decide_purge(purge, True, admin)
        db.session.commit()
        destroy_purged_blob(purge)


def state(app) -> dict:
    """What must survive a round trip: decisions, evidence hashes, the audit chain."""
    tables = db.metadata.tables
    with app.app_context():
        def rows(name, *columns, order):
            table = tables[name]
            query = select(*(table.c[c] for c in columns)).order_by(table.c[order])
            return [tuple(row) for row in db.session.execute(query)]

        return {
            "controls": rows("control_states", "id", "edition", "control_id", "applicability",
                             "implementation_status", "justification", "owner_id", order="id"),
            "evidence": rows("evidence_versions", "id", "sha256", "storage_key", "purged_at",
                             order="id"),
            "chain": rows("audit_events", "seq", "hash", order="seq"),
            "anchors": rows("audit_anchors", "seq", "hash", "written_to", order="id"),
            "soa": rows("soa_versions", "number", "status", "sha256", order="number"),
            "head": rows("audit_head", "seq", "hash", order="id"),
            "risks": rows("risk_controls", "risk_id", "edition", "control_id", order="id"),
            "findings": rows("findings", "ref", "status", "verified_on", order="id"),
        }


def table_files(path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive
                if m.name.startswith(("tables/", "blobs/"))}


def assert_verified(app) -> None:
    assert "chain intact" in run(app, "audit", "verify")
    assert "match their SHA-256" in run(app, "evidence", "verify")


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory):
    """A filled SQLite instance and its backup, shared by the tests that only read them."""
    folder = tmp_path_factory.mktemp("backed-up")
    source = instance(folder, "source")
    fill(source)
    path = folder / "backup.tar.gz"
    assert "Backed up" in run(source, "backup", "--out", str(path))
    return source, path


@pytest.mark.slow
def test_sqlite_to_postgresql_and_back_keeps_everything(backed_up, tmp_path,
                                                        scratch_postgres_url):
    source, first = backed_up
    before = state(source)
    assert before["anchors"] and before["soa"] and any(e[3] for e in before["evidence"])
    assert before["risks"] and len(before["findings"]) == 2  # the management system too

    postgres = instance(tmp_path, "postgres", scratch_postgres_url)
    assert "Restored" in run(postgres, "restore", str(first))
    assert state(postgres) == before
    assert_verified(postgres)
    run(postgres, "backup", "--out", str(tmp_path / "b.tar.gz"))

    back = instance(tmp_path, "sqlite-c")
    run(back, "restore", str(tmp_path / "b.tar.gz"))
    assert state(back) == before
    assert_verified(back)
    # Byte for byte the same rows and blobs, whichever database they went through.
    assert table_files(first) == table_files(tmp_path / "b.tar.gz")

    # The restored PostgreSQL instance goes on working: ids continue past the restored ones
    # (sequences were reset) and new audit events extend the restored chain.
    with postgres.app_context():
        highest = db.session.scalar(select(func.max(User.id)))
        user = create_user("new@example.com", Role.OWNER, PASSWORD, actor="system:test")
        db.session.commit()
        assert user.id > highest
        db.engine.dispose()
    assert_verified(postgres)




def rewrite(path, out, change, rehash: bool) -> None:
    """Copy an archive, changing members' bytes; optionally fix the manifest to match."""
    with tarfile.open(path) as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive}
    manifest = json.loads(members.pop("manifest.json"))
    for name, data in list(members.items()):
        members[name] = change(name, data)
        if rehash:
            manifest["files"][name]["sha256"] = hashlib.sha256(members[name]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(out, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def row_count(app) -> int:
    with app.app_context():
        return sum(db.session.scalar(select(func.count()).select_from(t))
                   for t in db.metadata.sorted_tables)


def test_restore_refuses_a_database_that_is_not_empty(backed_up):
    source, path = backed_up
    rows = row_count(source)
    output = run(source, "restore", str(path), code=1)
    assert "restore needs an empty database" in output and "Nothing was restored" in output
    assert row_count(source) == rows


def test_restore_refuses_an_altered_archive_and_keeps_the_database_empty(backed_up, tmp_path):
    _, path = backed_up
    altered = tmp_path / "altered.tar.gz"
    rewrite(path, altered, lambda name, data: data.replace(b"CISO", b"CEO!")
            if name == "tables/soa_versions.jsonl" else data, rehash=False)
    target = instance(tmp_path, "target")
    output = run(target, "restore", str(altered), code=1)
    assert "tables/soa_versions.jsonl does not match its SHA-256" in output
    assert row_count(target) == 1  # only the migrated audit head
    assert not (tmp_path / "target" / "evidence").exists()


def test_a_row_that_cannot_be_written_leaves_nothing_half_restored(backed_up, tmp_path):
    _, path = backed_up
    broken = tmp_path / "broken.tar.gz"

    def duplicate_last_user(name, data):
        if name != "tables/users.jsonl":
            return data
        return data + data.splitlines(keepends=True)[-1]

    rewrite(path, broken, duplicate_last_user, rehash=True)
    target = instance(tmp_path, "target")
    output = run(target, "restore", str(broken), code=1)
    assert "A row could not be written" in output and "Nothing was restored" in output
    assert row_count(target) == 1
    with target.app_context():
        assert db.session.scalar(select(func.count()).select_from(
            db.metadata.tables["audit_head"])) == 1
    run(target, "restore", str(path))  # the good archive still goes in afterwards
    assert_verified(target)


def test_blobs_restore_into_s3_and_back_up_from_it(backed_up, tmp_path, s3_endpoint,
                                                 s3_bucket):
    source, path = backed_up
    target = instance(tmp_path, "on-s3", ISMS_STORAGE="s3", ISMS_S3_BUCKET=s3_bucket,
                      ISMS_S3_ENDPOINT_URL=s3_endpoint)
    run(target, "restore", str(path))
    assert not (tmp_path / "on-s3" / "evidence").exists()  # every blob went to the bucket
    assert_verified(target)
    assert state(target) == state(source)
    run(target, "backup", "--out", str(tmp_path / "from-s3.tar.gz"))
    assert table_files(tmp_path / "from-s3.tar.gz") == table_files(path)


def test_a_missing_blob_is_named_and_everything_else_is_backed_up(backed_up, tmp_path):
    copy = instance(tmp_path, "copy")
    run(copy, "restore", str(backed_up[1]))
    with copy.app_context():
        versions = db.metadata.tables["evidence_versions"]
        key = db.session.scalar(select(versions.c.storage_key).where(
            versions.c.purged_at.is_(None), versions.c.storage_key.is_not(None)).limit(1))
    (tmp_path / "copy" / "evidence" / key[:2] / key).unlink()
    result = copy.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "b.tgz")])
    assert result.exit_code == 0
    assert f"WARNING blobs/evidence/{key} is referenced but missing" in result.output
    target = instance(tmp_path, "target")
    run(target, "restore", str(tmp_path / "b.tgz"))
    assert "blob is missing" in run(target, "evidence", "verify", code=1)  # named, not hidden
    assert "chain intact" in run(target, "audit", "verify")


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"hi"))
    output = run(instance(tmp_path, "target"), "restore", str(bogus), code=1)
    assert "not an isms backup" in output
