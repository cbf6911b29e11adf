"""Mail: reminders and escalation digests, alerts, the send ledger, and transports (DESIGN §5).

The engine builds one ``Mailroom`` and calls ``run_cycle`` every cycle; the CLI uses ``build_transport`` and
``mail_test``. Other packages import only the names below. See docs/mail.md.
"""

from mailers.addresses import clean_header_text, is_valid_email, make_address
from mailers.compose import WorkbookRef, compose_daily_digest, compose_digest, digest_subject, message_id_for
from mailers.customer_mail import (
    TICKET_MESSAGE_PREFIX,
    CustomerTicket,
    compose_desk_reply,
    compose_fixed_question,
    compose_low_score_notice,
    compose_not_fixed_notice,
    compose_status_link,
    compose_survey,
    ticket_message_id,
)
from mailers.errors import AddressError, LedgerError, MailError, TransportError
from mailers.ledger import Ledger
from mailers.mailroom import (
    AlwaysWorking,
    DepartmentKpiSource,
    KpiSource,
    MailFailure,
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
    "MailFailure",
    "WorkingTime",
    "AlwaysWorking",
    "KpiSource",
    "DepartmentKpiSource",
    "WorkbookRef",
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
    "clean_header_text",
    "is_valid_email",
    "make_address",
    "plan_reminders",
    "Plan",
    "Reminder",
    "Stage",
    "Role",
    "compose_digest",
    "compose_daily_digest",
    "digest_subject",
    "message_id_for",
    "CustomerTicket",
    "compose_status_link",
    "compose_fixed_question",
    "compose_survey",
    "compose_desk_reply",
    "ticket_message_id",
    "TICKET_MESSAGE_PREFIX",
    "compose_not_fixed_notice",
    "compose_low_score_notice",
    "MailError",
    "TransportError",
    "AddressError",
    "LedgerError",
]
