"""Form responses (``[intake.forms]``): rows a Google or Microsoft Forms appends to a responses tab become tickets.

Each cycle reads the responses tab from the workbook as read (the tab is never written). Columns are matched by
header, never by position (English and Chinese question names, plus ``[intake.forms] aliases``). Each response
becomes one ticket through ``take_in`` (Channel = Website, Received = its Timestamp), picked up once: keyed by
its response id when the form has an ID column, else by a hash of its answers, kept in the ticket's
``Source ref`` column (so a lost state dir does not make them again).

A header that names no known field, or a missing Timestamp/Description column, stops the channel for that
cycle with a message on the Rule check tab naming the cell: no ticket is ever made from a mis-mapped row.

A response whose contact answer holds an email address is acknowledged like a mailed or portal complaint
(``sync.intake.acknowledge``: ``[customers] acknowledge``, the per-sender limit, never to a bounced address or
one of the desk's own people), in Chinese when the customer wrote Chinese.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sync.backends.port import Cell, Sheet
from sync.customer_loop import contact_emails
from sync.intake.complaint import CHANNEL_WEBSITE, Complaint, IntakeError, take_in
from sync.state import StateStore
from tickets import cell_name, find_tab, is_blank, match_headers, normalize_label, read_datetime, read_text

__all__ = ["FormResponses", "FormProblem", "FIELDS"]

# Field -> the question headers Google Forms, Microsoft Forms and people use for it.
FIELDS: dict[str, tuple[str, ...]] = {
    "timestamp": ("Timestamp", "Completion time", "Submitted at", "时间戳", "提交时间", "完成时间"),
    "response_id": ("ID", "Response ID", "Response id", "答卷编号", "序号"),
    "customer": ("Customer", "Name", "Your name", "Full name", "Company", "客户", "姓名", "您的姓名", "公司"),
    "contact": ("Contact", "Email", "Email address", "E-mail", "Phone", "联系方式", "邮箱", "电子邮件", "电话"),
    "product": ("Product", "产品", "产品名称"),
    "category": ("Category", "Problem type", "问题类型"),
    "order_no": ("Order no.", "Order number", "Order", "订单号"),
    "request": ("Request", "What would you like us to do", "客户诉求", "诉求"),
    "description": ("Description", "Complaint", "What happened", "问题描述", "投诉内容", "问题"),
    "ignored": ("Start time", "Last modified time", "开始时间", "上次修改时间"),
}
REQUIRED = {"timestamp": "时间戳", "description": "问题描述"}  # field -> its Chinese name
CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class FormProblem:
    """A reason the responses tab was not read this cycle, for the Rule check tab."""

    tab: str
    cell: str | None
    message_en: str
    message_zh: str

    def message(self, language: str) -> str:
        return self.message_zh if language == "zh" else self.message_en


@dataclass
class FormResponses:
    """The responses tab of one desk."""

    state: StateStore
    tab: str
    aliases: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def take(self, sheets: Mapping[str, Sheet], zone: tzinfo, dry_run: bool = False) -> tuple[list[str], list[FormProblem]]:
        """Take in every response not taken before; return the new Ticket IDs and the problems.

        With ``dry_run`` nothing is queued (the problems are still found).
        """
        sheet = sheets.get(self.tab) or sheets.get(_find(sheets, self.tab) or "")
        if sheet is None:
            return [], [FormProblem(self.tab, None, f'[intake.forms] tab "{self.tab}": no such tab in the workbook — '
                                    "check its name", f'[intake.forms] tab "{self.tab}"：工作簿中没有此标签页，请检查名称')]
        columns, problems = self._columns(sheet)
        if problems:
            return [], problems
        known = _source_refs(sheets)
        tickets = []
        for row in sheet.rows[1:]:
            complaint = self._complaint(row, columns, zone, sheet.name)
            if complaint is None or complaint.source_ref in known or dry_run:
                continue
            try:
                receipt = take_in(self.state, complaint)
            except IntakeError:  # e.g. an answer row without a description: skipped, nothing to register
                continue
            if receipt.new:
                tickets.append(receipt.ticket_id)
        return tickets, []

    def _columns(self, sheet: Sheet) -> tuple[dict[str, int], list[FormProblem]]:
        lookup = {normalize_label(text): key for key, texts in FIELDS.items()
                  for text in (*texts, *self.aliases.get(key, ()))}
        columns: dict[str, int] = {}
        problems: list[FormProblem] = []
        header = sheet.rows[0] if sheet.rows else []
        for position, text in enumerate(header):
            if is_blank(text):
                continue
            key = lookup.get(normalize_label(text))
            where = cell_name(position, 0)
            if key is None:
                problems.append(FormProblem(
                    sheet.name, where,
                    f'{sheet.name}!{where}: the question "{text}" is not known — no response is taken in until it '
                    "is: add it to [intake.forms] aliases (e.g. description = [\"" + str(text) + "\"]) or rename it",
                    f'{sheet.name}!{where}：问题“{text}”无法识别——在识别之前不会登记任何答卷：请把它加入 '
                    "[intake.forms] aliases，或改名"))
            elif key != "ignored":
                columns.setdefault(key, position)
        for key, chinese in REQUIRED.items():
            if key not in columns:
                names = " / ".join(FIELDS[key][:2])
                problems.append(FormProblem(
                    sheet.name, "1", f"{sheet.name}!1: no {names} column — responses are not taken in until there is",
                    f"{sheet.name}!1：没有“{chinese}”列——补上之前不会登记答卷"))
        return columns, problems

    def _complaint(self, row: Sequence[Cell], columns: Mapping[str, int], zone: tzinfo, tab: str) -> Complaint | None:
        def cell(key: str) -> Cell:
            position = columns.get(key)
            return row[position] if position is not None and position < len(row) else None

        try:
            received = read_datetime(cell("timestamp"), zone)
        except ValueError:
            return None
        description = _text(cell("description"))
        if received is None or not description:
            return None
        contact, customer = _text(cell("contact")), _text(cell("customer"))
        return Complaint(
            channel=CHANNEL_WEBSITE, received=received, description=description,
            customer=customer, contact=contact, product=_text(cell("product")),
            category=_text(cell("category")), order_no=_text(cell("order_no")), request=_text(cell("request")),
            language="zh" if CHINESE.search(f"{description} {customer or ''}") else None,
            source_ref=_reference(tab, cell("response_id"), row), details=_acknowledgement(contact),
        )


def _acknowledgement(contact: str | None) -> dict[str, object]:
    """What the acknowledgement needs: the first email address in the contact answer (none: no acknowledgement)."""
    emails = contact_emails(contact)
    return {"acknowledge": True, "address": emails[0]} if emails else {}


def _reference(tab: str, response_id: Cell, row: Sequence[Cell]) -> str:
    """``form:<id>`` for a form with response ids, else ``form:sha256:<hash of the answers>``."""
    if not is_blank(response_id):
        return f"form:{normalize_label(tab)}:{_text(response_id)}"
    answers = "\x1f".join(_text(value) or "" for value in row)
    return f"form:sha256:{hashlib.sha256(answers.encode('utf-8')).hexdigest()[:24]}"


def _text(value: Cell) -> str | None:
    try:
        return read_text(value.isoformat(sep=" ") if isinstance(value, datetime) else value)
    except ValueError:
        return str(value)


def _find(sheets: Mapping[str, Sheet], name: str) -> str | None:
    wanted = normalize_label(name)
    return next((tab for tab in sheets if normalize_label(tab) == wanted), None)


def _source_refs(sheets: Mapping[str, Sheet]) -> set[str]:
    """The Source ref cells of the Tickets tab: responses already ticketed, whatever the state dir remembers."""
    tab = find_tab(sheets, "tickets")
    rows = sheets[tab].rows if tab else []
    position = match_headers(rows[0]).positions.get("source_ref") if rows else None
    if position is None:
        return set()
    return {text for row in rows[1:] if position < len(row) and (text := _text(row[position]))}
