"""The embedded default and bad database URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from trackguard.errors import ConfigurationError
from trackguard.settings import Settings
from trackguard.store.engine import Database, create_database_engine


def test_default_database_is_a_wal_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    db = Database.from_settings(settings)
    try:
        with db.engine.connect() as connection:
            mode = connection.execute(text("PRAGMA journal_mode")).scalar_one()
            foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar_one()
        assert mode == "wal"
        assert foreign_keys == 1
        assert (tmp_path / "data" / "trackguard.db").exists()
    finally:
        db.dispose()


def test_environment_configures_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACKGUARD_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("TRACKGUARD_WEB_PORT", "9000")
    settings = Settings()
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.web_port == 9000
    assert settings.resolved_key_file == tmp_path / "elsewhere" / "master.key"
    assert settings.resolved_database_url.endswith("elsewhere/trackguard.db")


@pytest.mark.parametrize("url", ["not a url", "mysql://localhost/x"])
def test_bad_database_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        create_database_engine(url)
    assert "database" in str(caught.value)
