import os

from isms import create_app


def test_healthz_says_ok_and_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    app = create_app({"ISMS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "ISMS_INSTANCE_PATH": str(tmp_path), "ISMS_SECRET_KEY": "k"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_config_layers_defaults_instance_file_environment_then_test_mapping(tmp_path,
                                                                            monkeypatch):
    (tmp_path / "config.py").write_text(
        'ISMS_BASE_URL = "https://from-file.example"\nISMS_TIMEZONE = "Europe/Paris"\n'
        'ISMS_PAGE_SIZE = 10\n')
    monkeypatch.setenv("ISMS_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("ISMS_PAGE_SIZE", "25")
    monkeypatch.setenv("ISMS_INSTANCE_PATH", str(tmp_path))
    app = create_app({"ISMS_SECRET_KEY": "from-test"})
    assert app.instance_path == str(tmp_path)
    assert app.config["ISMS_BASE_URL"] == "https://from-file.example"
    assert app.config["ISMS_TIMEZONE"] == "Europe/Berlin"
    assert app.config["ISMS_PAGE_SIZE"] == 25
    assert app.config["SECRET_KEY"] == "from-test"
    assert app.config["SESSION_COOKIE_SECURE"] is True  # https base URL
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + os.path.join(
        str(tmp_path), "isms.db")


def test_an_instance_without_a_key_gets_a_process_key_until_init(tmp_path, monkeypatch):
    monkeypatch.delenv("ISMS_SECRET_KEY", raising=False)
    first = create_app({"ISMS_INSTANCE_PATH": str(tmp_path)})
    second = create_app({"ISMS_INSTANCE_PATH": str(tmp_path)})
    assert first.config["ISMS_SECRET_KEY_EPHEMERAL"]
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
