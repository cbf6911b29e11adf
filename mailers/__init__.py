"""Mail: reminders and escalation digests, alerts, the send ledger, and transports (DESIGN §5).

The engine builds one ``Mailroom`` and calls ``run_cycle`` every cycle; the CLI uses ``build_transport`` and
``mail_test``. Other packages import only the names below. See docs/mail.md.
"""

from mailers.compose import compose_daily_digest, compose_digest, digest_subject, message_id_for
from mailers.errors import AddressError, LedgerError, MailError, TransportError
from mailers.ledger import Ledger
from mailers.mailroom import (
    AlwaysWorking,
    KpiSource,
    MailReport,
    Mailroom,
    WorkingTime,
    build_transport,
    mail_test,
    sender_address,
)
from mailers.outbox import OutboxTransport
from mailers.plan import Plan, Reminder, Role, Stage, plan_reminders
from mailers.settings import MailSettings, ReminderSettings
from mailers.smtp import SmtpTransport
from mailers.transport import MemoryTransport, SendResult, Transport

__all__ = [
    "Mailroom",
    "MailReport",
    "WorkingTime",
    "AlwaysWorking",
    "KpiSource",
    "ReminderSettings",
    "MailSettings",
    "Ledger",
    "Transport",
    "SendResult",
    "MemoryTransport",
    "OutboxTransport",
    "SmtpTransport",
    "build_transport",
    "sender_address",
    "mail_test",
    "plan_reminders",
    "Plan",
    "Reminder",
    "Stage",
    "Role",
    "compose_digest",
    "compose_daily_digest",
    "digest_subject",
    "message_id_for",
    "MailError",
    "TransportError",
    "AddressError",
    "LedgerError",
]
