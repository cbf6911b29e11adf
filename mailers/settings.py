"""The ``[reminders]`` and ``[mail]`` sections of config.toml, as pydantic models (DESIGN §5, §7).

The config loader (``sync.service.config``) embeds these models; an unknown key is an error that names the key
(``extra="forbid"``). Every field has a default except the SMTP host, which ``transport = "smtp"`` needs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mailers.addresses import is_valid_email
from tickets.kpi import DEFAULT_CLUSTER_THRESHOLD

__all__ = ["ReminderSettings", "MailSettings", "Language"]

Language = Literal["en", "zh"]


class ReminderSettings(BaseModel):
    """When reminders, escalations and alerts go out, and to whom besides the liaisons."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    due_soon_fraction: float = Field(
        0.25, gt=0, lt=1, description="Warn when at most this share of a deadline's target time is left."
    )
    repeat_hours: float = Field(24, gt=0, description="Repeat the overdue notice this often while overdue.")
    escalate_after_hours: float = Field(
        24,
        gt=0,
        description="Hours overdue before the department manager is told; twice this and the admin is told.",
    )
    quiet_hours: bool = Field(
        True, description="Hold non-urgent mail outside the Calendar's working hours (see docs/mail.md)."
    )
    cluster_threshold: int = Field(
        DEFAULT_CLUSTER_THRESHOLD, ge=2, description="Alert the quality lead when Similar 7d reaches this many tickets."
    )
    cluster_days: int = Field(
        7, ge=1, description="Alert about the same product and category once per this many days."
    )
    admin_email: str | None = Field(
        None, description="Last-resort recipient, second escalation level, and target of system alerts."
    )
    admin_language: Language | None = Field(
        None, description="Language of mail to the admin: en or zh; the workbook's language if unset."
    )
    quality_email: str | None = Field(
        None, description="Quality lead for cluster alerts; admin_email if unset."
    )
    quality_language: Language | None = Field(
        None, description="Language of cluster alerts: en or zh; the workbook's language if unset."
    )
    breaker_share: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Hold all reminders when this share of open tickets turns overdue in one cycle.",
    )
    breaker_min_open: int = Field(
        10, ge=1, description="... and at least this many tickets did (small sheets never trip it)."
    )
    breaker_hold_hours: float = Field(
        24, gt=0, description="A tripped breaker lets reminders flow again after this long."
    )
    max_failures: int = Field(
        5, ge=1, description="After this many failed attempts a message is dropped and the admin told."
    )
    first_run_summary: bool = Field(
        True,
        description="On the first run over a sheet with many overdue tickets send one summary per person.",
    )
    first_run_min_overdue: int = Field(
        5,
        ge=1,
        description="How many overdue tickets make a first run a 'many' (summary instead of digests).",
    )

    def speaking(self, language: str) -> ReminderSettings:
        """These settings with the admin's and the quality lead's language set: the workbook's ``language``
        where the config leaves them unset."""
        fallback = "zh" if language == "zh" else "en"
        return self.model_copy(update={
            "admin_language": self.admin_language or fallback,
            "quality_language": self.quality_language or fallback,
        })

    @field_validator("admin_email", "quality_email")
    @classmethod
    def _plain_address(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_email(value):
            raise ValueError(f'"{value}" is not an email address — write it like quality@example.com')
        return value.strip() if value else None


class MailSettings(BaseModel):
    """How mail leaves: an .eml outbox folder (the default), SMTP via yagmail, or memory (tests)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: Literal["outbox", "smtp", "memory"] = Field("outbox", description="outbox, smtp or memory.")
    outbox_dir: str = Field("outbox", description="Folder for the outbox transport's .eml files.")
    sender: str = Field("sheetdesk@localhost", description="The From address.")
    sender_name: str = Field("sheetdesk", description="The From display name.")
    host: str | None = Field(None, description="SMTP server host name (transport = smtp).")
    port: int = Field(
        587, ge=1, le=65535, description="SMTP port: 587 for starttls, 465 for ssl, 25 for none."
    )
    security: Literal["starttls", "ssl", "none"] = Field("starttls", description="starttls, ssl or none.")
    username: str | None = Field(None, description="SMTP login; leave unset for a relay that needs none.")
    password_env: str = Field(
        "SHEETDESK_SMTP_PASSWORD",
        description="Name of the environment variable holding the SMTP password (never the password itself).",
    )
    timeout_seconds: float = Field(30, gt=0, description="Give up on a silent SMTP server after this long.")

    @model_validator(mode="after")
    def _smtp_needs_a_host(self) -> MailSettings:
        if self.transport == "smtp" and not self.host:
            raise ValueError('transport = "smtp" needs host = "smtp.example.com" in [mail]')
        return self

    @field_validator("sender")
    @classmethod
    def _sender_is_an_address(cls, value: str) -> str:
        # localhost is fine for the outbox default, so only the shape local@host is required here.
        if "@" not in value or any(character.isspace() for character in value):
            raise ValueError(f'"{value}" is not an email address — write it like sheetdesk@example.com')
        return value
