"""Configuration: defaults -> instance config.py -> ISMS_* environment -> test mapping."""

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "ISMS_DATABASE_URL": "",
    "ISMS_SECRET_KEY": "",
    "ISMS_BASE_URL": "http://127.0.0.1:5000",
    "ISMS_TIMEZONE": "Europe/Brussels",
    "ISMS_PAGE_SIZE": 50,
    "ISMS_MAX_FIELD_LENGTH": 4000,
    "ISMS_SQL_ECHO": False,
    "ISMS_EVIDENCE_DIR": "",
    "ISMS_UPLOAD_TMP": "",
    "ISMS_MAX_UPLOAD_MB": 100,
    "ISMS_IMPORT_MAX_UNCOMPRESSED_MB": 200,
    "ISMS_EXPIRY_WARNING_DAYS": 30,
    "ISMS_STORAGE": "local",
    "ISMS_S3_BUCKET": "",
    "ISMS_S3_ENDPOINT_URL": "",
    "ISMS_S3_REGION": "us-east-1",
    "ISMS_S3_PREFIX": "evidence/",
    "ISMS_SMTP_HOST": "",  # empty: no mail server configured, digests are not sent
    "ISMS_SMTP_PORT": 25,
    "ISMS_SMTP_FROM": "isms@localhost",
    "ISMS_SMTP_USER": "",
    "ISMS_SMTP_PASSWORD": "",
    "ISMS_SMTP_TLS": "none",
    "ISMS_DIGEST_TIME": "08:00",
    "ISMS_DUE_SOON_DAYS": 14,
    "ISMS_SCHEDULER_LEASE_SECONDS": 30,
    "ISMS_IDLE_MINUTES": 30,
    # Likelihood and impact are scored 1..N.
    "ISMS_RISK_SCALE": 5,
    # Failed sign-ins: per account and per client address within the window, then a lockout.
    "ISMS_LOGIN_MAX_FAILURES": 10,
    "ISMS_LOGIN_MAX_FAILURES_PER_IP": 50,
    "ISMS_LOGIN_WINDOW_MINUTES": 15,
    "ISMS_LOGIN_LOCKOUT_MINUTES": 15,
    # Proxy addresses or networks (comma-separated) whose X-Forwarded-For is believed.
    "ISMS_TRUSTED_PROXIES": "",
    "ISMS_AWS_VALID_DAYS": 7,  # how long a collected AWS snapshot counts as current evidence
    "ISMS_AWS_COLLECT_TIME": "03:30",  # daily collection, in the organisation's time zone
    "ISMS_AWS_ENDPOINT_URL": "",  # an AWS API emulator for development and tests only
    # Where long jobs run: auto (PostgreSQL: worker processes; SQLite: threads), postgres,
    # threads. The in-process pool has ISMS_QUEUE_THREADS threads.
    "ISMS_QUEUE": "auto",
    "ISMS_QUEUE_THREADS": 2,
    "ISMS_JOB_TIME_LIMIT": 900,  # seconds one job may read before it gives up what is left
    # A worker beats every N seconds; one silent for ISMS_WORKER_STALLED_AFTER has its jobs
    # retried by the others.
    "ISMS_WORKER_HEARTBEAT": 10,
    "ISMS_WORKER_STALLED_AFTER": 30,
    # werkzeug method string; scrypt in production, a cheap one only in the test suite.
    "ISMS_PASSWORD_HASH": "scrypt",
    # Test only: an endpoint whose commit pauses for the fault tests (isms/pause.py).
    "ISMS_TEST_PAUSE_AT": "",
}

# Read by create_app before the configuration exists, or only by the test suite.
NOT_CONFIG = {"ISMS_INSTANCE_PATH", "ISMS_TEST_DATABASE_URL"}

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)


def instance_path(test_config: dict | None) -> str:
    """Return the absolute instance folder chosen by the test mapping or the environment."""
    chosen = (test_config or {}).get("ISMS_INSTANCE_PATH") or os.environ.get(
        "ISMS_INSTANCE_PATH", "instance"
    )
    return os.path.abspath(chosen)


def load_config(app, test_config: dict | None) -> None:
    """Fill app.config from every layer, last one wins, then derive Flask's own keys."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for key, raw in os.environ.items():
        if key.startswith("ISMS_") and key not in NOT_CONFIG:
            app.config[key] = _coerce(raw, DEFAULTS.get(key))
    if test_config:
        app.config.from_mapping(
            {k: v for k, v in test_config.items() if k not in NOT_CONFIG}
        )
    _derive(app)


def _coerce(raw: str, default):
    """Turn an environment string into the type of its default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def _derive(app) -> None:
    config = app.config
    url = config["ISMS_DATABASE_URL"] or "sqlite:///" + os.path.join(app.instance_path, "isms.db")
    config["SQLALCHEMY_DATABASE_URI"] = url
    config["SQLALCHEMY_ECHO"] = config["ISMS_SQL_ECHO"]
    evidence_dir = config["ISMS_EVIDENCE_DIR"] or os.path.join(app.instance_path, "evidence")
    config["ISMS_EVIDENCE_DIR"] = evidence_dir
    config["ISMS_UPLOAD_TMP"] = config["ISMS_UPLOAD_TMP"] or os.path.join(evidence_dir, ".tmp")
    # The file limit plus room for the form's other fields.
    config["MAX_CONTENT_LENGTH"] = (config["ISMS_MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    secret = config["ISMS_SECRET_KEY"] or read_secret_key(app.instance_path)
    config["ISMS_SECRET_KEY_EPHEMERAL"] = not secret
    # Without a key (before `isms init`), sessions last as long as the process.
    config["SECRET_KEY"] = secret or secrets.token_hex(32)
    # Flask ships defaults for these keys, so they are set outright, not setdefault.
    config["WTF_CSRF_TIME_LIMIT"] = None  # tokens live as long as the session
    config["SESSION_COOKIE_HTTPONLY"] = config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    is_https = config["ISMS_BASE_URL"].startswith("https://")
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = is_https


def read_secret_key(folder: str) -> str:
    """Return the key stored in the instance folder, or an empty string."""
    path = Path(folder, SECRET_KEY_FILE)
    return path.read_text().strip() if path.exists() else ""


def write_secret_key(folder: str) -> bool:
    """Create a random key file (mode 0600) unless one exists; return True if written."""
    path = Path(folder, SECRET_KEY_FILE)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return True
