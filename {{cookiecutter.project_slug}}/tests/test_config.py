import logging
from pathlib import Path
from typing import Any

import pytest
from conftest import MakeApp

from {{ cookiecutter.project_slug }} import config
from {{ cookiecutter.project_slug }} import create_app
from {{ cookiecutter.project_slug }} import db
from {{ cookiecutter.project_slug }}.config import ConfigError


def settings(**environ: str) -> dict[str, Any]:
    return config.from_env("/srv/instance", environ)


def test_settings_are_read_from_the_environment() -> None:
    values = settings(
        DATABASE_URL="dialect://elsewhere/other",
        SECRET_KEY="s3cret",
        LOG_LEVEL="debug",
        LOG_FILE="/tmp/app.log",
        LOG_FORMAT="JSON",
        MAX_CONTENT_LENGTH="2048",
        CORS_ORIGINS="http://localhost:3000, https://app.example.com",
        API_DOCS="Yes",
        SERVER_TIMING="on",
    )
    expected = {
        "DATABASE_URL": "dialect://elsewhere/other",
        "SECRET_KEY": "s3cret",
        "LOG_LEVEL": "DEBUG",
        "LOG_FILE": "/tmp/app.log",
        "LOG_FORMAT": "json",
        "MAX_CONTENT_LENGTH": 2048,
        "CORS_ORIGINS": ["http://localhost:3000", "https://app.example.com"],
        "API_DOCS": True,
        "SERVER_TIMING": True,
    }
    assert values.items() >= expected.items()


def test_defaults_are_documented_values() -> None:
    values = settings()
    assert values["LOG_LEVEL"] == "INFO"
    assert values["LOG_FILE"] is None
    assert values["LOG_FORMAT"] == "text"
    assert values["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert values["CORS_ORIGINS"] == []
    assert values["API_DOCS"] is None  # docs.py decides: on in development only
    assert settings(API_DOCS="off")["API_DOCS"] is False
    assert values["SERVER_TIMING"] is False


def test_without_secret_key_each_process_gets_a_random_one() -> None:
    assert settings()["SECRET_KEY"] != settings()["SECRET_KEY"]
    assert len(settings()["SECRET_KEY"]) == 64


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_CONTENT_LENGTH", "lots"),
        ("MAX_CONTENT_LENGTH", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("CORS_ORIGINS", "*"),
        ("CORS_ORIGINS", "http://localhost:3000/"),
        ("CORS_ORIGINS", "https://app.example.com/path"),
        ("CORS_ORIGINS", "app.example.com"),
        ("CORS_ORIGINS", "https://*.example.com"),
        ("API_DOCS", "maybe"),
    ],
)
def test_unusable_values_are_rejected_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        settings(**{name: value})


def test_create_app_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "4096")
    app = create_app()
    assert app.config["DATABASE_URL"] == database_url
    assert app.config["MAX_CONTENT_LENGTH"] == 4096
    with app.app_context():
        db.get_engine().dispose()


def test_log_file_receives_the_package_logs(tmp_path: Path, make_app: MakeApp) -> None:
    log_file = tmp_path / "app.log"
    app = make_app(LOG_FILE=str(log_file))
    logging.getLogger(f"{app.import_name}.test").warning("hello from the test")
    for handler in logging.getLogger(app.import_name).handlers:
        handler.close()  # writes out what it holds, as logging.shutdown does at exit
    assert "hello from the test" in log_file.read_text()
