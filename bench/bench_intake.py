"""Benchmark: a mailbox of 1 000 complaints imported in one cycle, against one xlsx writing cycle at 10 000
tickets (DESIGN §10: intake ≤ the writing cycle), measured in the same run.

The mail server is mail-devel (pymap + aiosmtpd) on 127.0.0.1, in its own process, started as the tests start it
(tests/sync/intake/mail_server.py). The mailbox
holds ``--mails`` plain complaints from distinct customers, put there by IMAP APPEND (untimed). Measured:

- (i) the mailbox poll alone: log in, fetch every new mail (BODY.PEEK, batches of 100), read, keep the .eml,
  queue the complaint with its reserved number, move the batch to Processed;
- (ii) the whole intake cycle on the template workbook: the poll, then the cycle that grades the 1 000 new rows
  and appends them to the .xlsx (acknowledgements to the outbox, one connection);
- the baseline: a writing cycle of ``bench/bench_xlsx.py`` at ``--rows`` tickets (1 % moved on, 20 new rows);
- the floor: logging in and fetching the mails' bytes (BODY.PEEK, batches of 100), nothing parsed or kept.

The cases run interleaved (one run of each per round, ``--repeats`` rounds, as ``bench.common.interleaved``
does), each run on a fresh mailbox, state and workbook; the table gives the median and min–max.

Run: .venv/bin/python bench/bench_intake.py [--mails 1000] [--rows 10000] [--repeats 3]
Writes bench/results/intake.json and prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from imap_tools import MailBoxUnencrypted  # noqa: E402

from bench.bench_xlsx import EDITED_AT, NOW, cold_cycle, prepare_cases  # noqa: E402
from bench.common import Spread, interleaved, load_now, markdown_table, write_results  # noqa: E402
from mailers import MemoryTransport  # noqa: E402
from sheets_templates import build_spec  # noqa: E402
from sync.backends.xlsx.backend import XlsxBackend  # noqa: E402
from sync.backends.xlsx.writer import write_xlsx  # noqa: E402
from sync.engine import Desk  # noqa: E402
from sync.intake.channels import IntakeChannels  # noqa: E402
from sync.intake.mailbox import FETCH_BATCH, CustomerSettings, MailboxSettings, MailIntake  # noqa: E402
from sync.state import StateStore  # noqa: E402
from tests.sync.intake.mail_server import start_mail_devel, stop_mail_devel  # noqa: E402

PASSWORD = "bench-secret"
VARIABLE = "SHEETDESK_BENCH_IMAP_PASSWORD"
_mailboxes = itertools.count(1)


def a_complaint(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <customer{number}@shop.example>"
    message["To"] = "desk@desk.example"
    message["Subject"] = f"Complaint {number}: lid cracked"
    message["Date"] = format_datetime(NOW - timedelta(minutes=30))
    message["Message-ID"] = make_msgid(domain="shop.example")
    message.set_content(f"Order SO-{number}: the lid cracked on delivery.\n\nRegards,\nCustomer {number}\n")
    return bytes(message)


def fill_mailbox(port: int, mails: int) -> str:
    """A fresh mailbox holding ``mails`` complaints; return its address."""
    address = f"desk{next(_mailboxes)}@desk.example"
    with MailBoxUnencrypted("127.0.0.1", port).login(address, PASSWORD, initial_folder=None) as box:
        for number in range(mails):
            box.append(a_complaint(number), "INBOX", flag_set=())
    return address


def fetch_floor(port: int, address: str) -> int:
    """The floor: log in and fetch every mail's bytes (BODY.PEEK, batches of 100) — nothing parsed, stored or
    moved. Return the mails fetched."""
    with MailBoxUnencrypted("127.0.0.1", port).login(address, PASSWORD, initial_folder="INBOX") as box:
        uids = box.uids("ALL")
        fetched = 0
        for start in range(0, len(uids), FETCH_BATCH):
            status, data = box.client.uid("FETCH", ",".join(uids[start:start + FETCH_BATCH]), "(BODY.PEEK[])")
            assert status == "OK", data
            fetched += sum(1 for item in data if isinstance(item, tuple))
    return fetched


def intake(directory: Path, port: int, address: str, whole_cycle: bool) -> int:
    """Poll the mailbox (and with ``whole_cycle`` run the cycle appending the rows); return the tickets made."""
    state = StateStore(directory / "state")
    try:
        customers = CustomerSettings(sender=address, ack_per_sender_per_hour=3)
        mailbox = MailIntake(state, MailboxSettings("127.0.0.1", address, VARIABLE, port, "none"), customers)
        if not whole_cycle:
            return len(mailbox.poll(NOW).tickets)
        channels = IntakeChannels(state, mailbox, customers, MemoryTransport())
        report = Desk(XlsxBackend(directory / "desk.xlsx"), state, intake=channels).cycle(NOW)
        return report.rows_appended
    finally:
        state.close()


def measure(mails: int, rows: int, repeats: int, directory: Path) -> dict:
    os.environ[VARIABLE] = PASSWORD
    (directory / "xlsx").mkdir()
    writing, _, _, facts = prepare_cases(rows, directory / "xlsx")
    cases = directory / "xlsx" / "work"
    log = (directory / "mail-devel.log").open("wb")
    process, port, _ = start_mail_devel(PASSWORD, log)
    try:
        template = directory / "template.xlsx"
        write_xlsx(build_spec("en", now=NOW.replace(tzinfo=None), seed=7), template)
        work = directory / "intake"
        made: list[int] = []
        addresses: list[str] = []

        def prepare() -> None:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            shutil.copy(template, work / "desk.xlsx")
            addresses.append(fill_mailbox(port, mails))

        spreads = interleaved({
            "baseline": (lambda: cold_cycle(cases, EDITED_AT), lambda: writing.reset(cases)),
            "floor": (lambda: made.append(fetch_floor(port, addresses[-1])), prepare),
            "poll": (lambda: made.append(intake(work, port, addresses[-1], False)), prepare),
            "cycle": (lambda: made.append(intake(work, port, addresses[-1], True)), prepare),
        }, repeats)
        assert all(count == mails for count in made), f"expected {mails} tickets each run, got {made}"
    finally:
        stop_mail_devel(process, seconds=30)
        log.close()
    return {"mails": mails, "rows": rows, "repeats": repeats, "load_average": load_now(),
            "spreads": {name: spread.as_dict() for name, spread in spreads.items()}, "baseline_facts": facts}


def table(results: dict) -> str:
    spreads = {name: Spread(values["runs"]) for name, values in results["spreads"].items()}
    baseline = spreads["baseline"]

    def line(name: str, spread: Spread, budget: bool, floor: Spread) -> list:
        verdict = ("ok" if spread.median <= baseline.median else "**over budget**") if budget else ""
        return [name, spread.text(), spread.times(baseline), spread.times(floor), "≤ 1.0×" if budget else "—",
                verdict]

    floor = spreads["floor"]
    return markdown_table(["case", "median (min–max)", "vs baseline", "vs floor", "budget", ""], [
        line(f"baseline: xlsx writing cycle, {results['rows']:,} tickets", baseline, False, floor),
        line(f"floor: fetch the {results['mails']:,} mails' bytes over IMAP, nothing else", floor, False, floor),
        line(f"(i) mailbox poll, {results['mails']:,} mails → queued tickets", spreads["poll"], True, floor),
        line(f"(ii) poll + cycle appending {results['mails']:,} rows and acknowledging them", spreads["cycle"], True,
             floor),
    ]) + f"\n\nload average during the run: {results['load_average']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sheetdesk-bench-intake-") as folder:
        results = measure(arguments.mails, arguments.rows, arguments.repeats, Path(folder))
    path = write_results("intake", results)
    print(table(results))
    print(f"\n(results in {path})")


if __name__ == "__main__":
    main()
