"""Benchmark: sheetdesk's rule engine against pyDMNrules on the same 50-rule FIRST table (DESIGN §8).

Budget: ≥ 100 000 ticket evaluations per second on a 50-rule tab, and at least 10× pyDMNrules.

The table is realistic for an Owner rules tab: product, category, tier, safety risk and similar-7d
conditions, a department output, a catch-all last row. Its cells are written in FEEL (quoted strings), which
both engines read, so both evaluate literally the same table; pyDMNrules reads it from an .xlsx written with
openpyxl into a temporary directory. Both engines' answers are compared on every ticket pyDMNrules sees.

Run: .venv/bin/python bench/bench_rules.py [--tickets 50000] [--reference-tickets 500]
Writes bench/results/rules.json and prints a Markdown snippet for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "rules.json"
sys.path.insert(0, str(Path(__file__).parents[1]))

from rules import DecisionTable, HitPolicy, Output, Rule, RuleBook, parse_cell, parse_lists, parse_rule_tab  # noqa: E402

PRODUCTS = ["Kettle", "Toaster", "Blender", "Heater", "Fan", "Iron", "Mixer", "Cooker", "Grill", "Juicer"]
CATEGORIES = ["Safety", "Quality", "Delivery", "Billing", "Service"]
TIERS = ["Platinum", "Gold", "Standard"]
DEPARTMENTS = ["Quality", "Logistics", "Finance", "Service", "Engineering", "Safety office"]
INPUTS = ["product", "category", "tier", "safety_risk", "similar_7d"]
HEADERS = ["Product", "Category", "Tier", "Safety risk", "Similar 7d"]
RULE_COUNT = 50
REPEATS = 5


def quoted(values: list[str]) -> str:
    return ",".join(f'"{value}"' for value in values)


def random_cells(chooser: random.Random) -> list[str]:
    """One rule's five FEEL cells: mostly specific product/category, sometimes lists, negations, ranges."""
    product = chooser.choice(["-", quoted(chooser.sample(PRODUCTS, 1)), quoted(chooser.sample(PRODUCTS, 2))])
    category = chooser.choice(
        [
            quoted(chooser.sample(CATEGORIES, 1)),
            quoted(chooser.sample(CATEGORIES, 2)),
            f"not({quoted(chooser.sample(CATEGORIES, 1))})",
        ]
    )
    tier = chooser.choice(["-", "-", quoted(chooser.sample(TIERS, 1)), quoted(chooser.sample(TIERS, 2))])
    safety = chooser.choice(["-", "-", "true", "false"])
    similar = chooser.choice(["-", "-", ">=5", "[2..5)", "<2", "[3..10]"])
    return [product, category, tier, safety, similar]


def build_rows(seed: int = 7) -> list[tuple[str, list[str], str]]:
    """Return RULE_COUNT rules as (ID, FEEL cells, department); the last one is a catch-all."""
    chooser = random.Random(seed)
    rows = [
        (f"O{number}", random_cells(chooser), chooser.choice(DEPARTMENTS)) for number in range(1, RULE_COUNT)
    ]
    rows.append((f"O{RULE_COUNT}", ["-"] * len(INPUTS), "Service"))
    return rows


def build_tickets(count: int, seed: int = 11) -> list[dict[str, object]]:
    chooser = random.Random(seed)
    return [
        {
            "product": chooser.choice(PRODUCTS),
            "category": chooser.choice(CATEGORIES),
            "tier": chooser.choice(TIERS),
            "safety_risk": chooser.random() < 0.1,
            "similar_7d": chooser.choice([1, 1, 1, 2, 3, 4, 6, 12]),
        }
        for _ in range(count)
    ]


def sheetdesk_table(rows: list[tuple[str, list[str], str]]) -> DecisionTable:
    rules = [
        Rule(rule_id, tuple(parse_cell(cell) for cell in cells), (department,))
        for rule_id, cells, department in rows
    ]
    return DecisionTable(INPUTS, [Output("department")], rules, HitPolicy.FIRST, name="Owner rules")


def sheetdesk_book(rows: list[tuple[str, list[str], str]]) -> RuleBook:
    """The same rules as an Owner rules tab (as a person would write it), through parse_rule_tab and RuleBook."""
    header = ["Rule", *(f"IF {label}" for label in HEADERS), "THEN Department"]
    tab_rows = [header, *([rule_id, *cells, department] for rule_id, cells, department in rows)]
    lists, _ = parse_lists([["Tier", "Category"], *zip(TIERS + [None] * 2, CATEGORIES, strict=True)])
    parsed = parse_rule_tab("owner_rules", "Owner rules", tab_rows, lists)
    assert parsed.table is not None, [str(problem) for problem in parsed.problems]
    return RuleBook(None, parsed.table, None, None, lists)


def write_pydmnrules_workbook(rows: list[tuple[str, list[str], str]], folder: Path) -> Path:
    """Write the table in pyDMNrules' 'rules as rows' layout: name, hit policy + headings, double borders."""
    from openpyxl import Workbook
    from openpyxl.styles import Border, Side

    double = Side(style="double")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Owner"
    sheet.cell(row=1, column=1, value="Owner")
    headings = ["F", *INPUTS, "department"]
    for column, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=2, column=column, value=heading)
        last_input = column == len(INPUTS) + 1
        right = double if last_input or column == len(headings) else Side()
        cell.border = Border(left=Side(), right=right, top=Side(), bottom=double)
    for row_number, (_, cells, department) in enumerate(rows, start=3):
        sheet.cell(row=row_number, column=1, value=row_number - 2)
        for column, cell in enumerate(cells, start=2):
            sheet.cell(row=row_number, column=column, value=cell)
        sheet.cell(row=row_number, column=len(INPUTS) + 2, value=f'"{department}"')
    path = folder / "owner.xlsx"
    workbook.save(path)
    return path


def load_pydmnrules(path: Path):  # type: ignore[no-untyped-def]
    import pyDMNrules

    engine = pyDMNrules.DMN()
    status = engine.load(str(path))
    if "errors" in status:
        raise SystemExit(f"pyDMNrules could not load the table: {status['errors']}")
    return engine


def pydmnrules_department(engine, ticket: dict[str, object]) -> object:  # type: ignore[no-untyped-def]
    status, result = engine.decide(ticket)
    if "errors" in status:
        raise SystemExit(f"pyDMNrules failed on {ticket}: {status['errors']}")
    final = result[-1] if isinstance(result, list) else result
    return final["Result"]["department"]


def rate(function, tickets: list[dict[str, object]]) -> tuple[float, list[object]]:  # type: ignore[no-untyped-def]
    """Return evaluations per second of ``function`` over ``tickets`` (best of REPEATS runs, as the machine may
    be shared) and its answers."""
    best = float("inf")
    answers: list[object] = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        answers = [function(ticket) for ticket in tickets]
        best = min(best, time.perf_counter() - started)
    return len(tickets) / best, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50_000, help="tickets for sheetdesk's engine")
    parser.add_argument("--reference-tickets", type=int, default=500, help="tickets for pyDMNrules (slow)")
    arguments = parser.parse_args()

    rows = build_rows()
    tickets = build_tickets(arguments.tickets)
    table = sheetdesk_table(rows)
    book = sheetdesk_book(rows)

    def decide(ticket: dict[str, object]) -> object:
        return table.decide(ticket).value

    def evaluate(ticket: dict[str, object]) -> object:
        return book.evaluate(ticket).assignment.department  # type: ignore[union-attr]

    table_rate, table_answers = rate(decide, tickets)
    book_rate, book_answers = rate(evaluate, tickets)
    assert table_answers == book_answers, "the table and the parsed tab disagree"

    with tempfile.TemporaryDirectory() as folder:
        engine = load_pydmnrules(write_pydmnrules_workbook(rows, Path(folder)))
        reference = tickets[: arguments.reference_tickets]
        reference_rate, reference_answers = rate(
            lambda ticket: pydmnrules_department(engine, ticket), reference
        )
    disagreements = sum(
        ours != theirs for ours, theirs in zip(table_answers, reference_answers, strict=False)
    )
    report(arguments, table_rate, book_rate, reference_rate, disagreements, len(reference))


def report(arguments, table_rate, book_rate, reference_rate, disagreements, compared) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    import pyDMNrules  # noqa: F401 - for its version below

    ratio = table_rate / reference_rate
    results = {
        "rules": RULE_COUNT,
        "hit_policy": "FIRST",
        "tickets": arguments.tickets,
        "reference_tickets": compared,
        "sheetdesk_table_evaluations_per_second": round(table_rate),
        "sheetdesk_rulebook_evaluations_per_second": round(book_rate),
        "pydmnrules_evaluations_per_second": round(reference_rate, 1),
        "ratio": round(ratio, 1),
        "answers_differing_from_pydmnrules": disagreements,
        "budget_met": table_rate >= 100_000 and ratio >= 10,
        "python": platform.python_version(),
        "pydmnrules": version("pyDMNrules"),
        "machine": platform.machine(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    print()
    print("### Rules (bench/bench_rules.py)")
    print()
    print(
        f"50-rule FIRST table (product, category, tier, safety risk, similar 7d), CPython {results['python']}."
    )
    print()
    print("| engine | evaluations/s |")
    print("|---|---:|")
    print(f"| sheetdesk DecisionTable.decide | {table_rate:,.0f} |")
    print(f"| sheetdesk RuleBook.evaluate (parsed Owner rules tab) | {book_rate:,.0f} |")
    print(f"| pyDMNrules {results['pydmnrules']} decide | {reference_rate:,.1f} |")
    print()
    print(
        f"Ratio {ratio:,.0f}× (budget ≥ 10×); budget ≥ 100 000/s "
        f"{'met' if results['budget_met'] else 'NOT met'}; "
        f"{disagreements} of {compared} answers differ from pyDMNrules."
    )


if __name__ == "__main__":
    main()
