"""Settings, from DTIA_ environment variables (one class; read at the edges only)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "dtia"


class Settings(BaseSettings):
    """DTIA_DATA_DIR: where the SQLite database and dossier files live.
    DTIA_DATABASE_URL: a SQLAlchemy URL (postgresql+psycopg://...) to use instead of SQLite.
    DTIA_PORTAL_URL: the portal's address as recipients reach it (questionnaire links).
    DTIA_SMTP_URL: where e-mail goes (smtp://user:pass@host:port, ?starttls=true for STARTTLS,
    smtps:// for implicit TLS); no e-mail is sent when it is not set.
    DTIA_MAIL_FROM: the sender of dtia's e-mail. DTIA_LEGAL_EMAIL: where legal's notices go
    (addresses separated by commas)."""

    model_config = SettingsConfigDict(env_prefix="DTIA_", extra="ignore")

    data_dir: Path = _default_data_dir()
    database_url: str | None = None
    portal_url: str = "http://127.0.0.1:8080"
    smtp_url: SecretStr | None = None  # secret: it may carry the SMTP password
    mail_from: str = "dtia@localhost"
    legal_email: str | None = None

    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'dtia.db'}"

    @property
    def dossier_dir(self) -> Path:
        return self.data_dir / "dossiers"
