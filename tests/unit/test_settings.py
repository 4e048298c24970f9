"""Settings come from the environment, and a `.env` file fills in what it does not set."""

from __future__ import annotations

from api.settings import Settings

NAMES = ("DATABASE_URL", "SWEEP_INTERVAL_SECONDS", "CORS_ORIGINS", "LOG_LEVEL",
         "SHUTDOWN_TIMEOUT_SECONDS")


def clear(monkeypatch) -> None:
    for name in NAMES:
        monkeypatch.setenv(name, "")  # so that teardown restores the original value (or none)
        monkeypatch.delenv(name)


def test_a_dotenv_file_fills_in_and_the_environment_wins(tmp_path, monkeypatch):
    clear(monkeypatch)
    (tmp_path / ".env").write_text(
        "# production\n"
        "DATABASE_URL=postgres://app@db:5432/milestones\n"
        "SWEEP_INTERVAL_SECONDS=60\n"
        "CORS_ORIGINS='https://admin.example.com, https://staff.example.com'\n"
        "LOG_LEVEL=debug\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", "5")
    settings = Settings.from_env()
    assert settings.database_url == "postgres://app@db:5432/milestones"
    assert settings.sweep_interval_seconds == 5.0
    assert settings.cors_origins == ("https://admin.example.com", "https://staff.example.com")
    assert settings.log_level == "DEBUG"
    assert settings.shutdown_timeout_seconds == 30.0


def test_without_a_dotenv_file_the_defaults_apply(tmp_path, monkeypatch):
    clear(monkeypatch)
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env()
    assert settings.database_url == "sqlite://data/milestones.sqlite3"
    assert (settings.sweep_interval_seconds, settings.cors_origins, settings.log_level) == (
        300.0, (), "INFO"
    )
