"""A new workbook written to a real .xlsx and read back with openpyxl."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from sheets_templates import LEGEND_FILLS, LIST_KEYS, build_spec, display_width, list_values, load_template
from sheets_templates.builder import wrap_to_width
from sync.backends.port import FormattingSpec
from sync.backends.xlsx.writer import write_xlsx
from tickets import TABS, TICKET_COLUMNS, Kind, Status

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TEMPLATE_TABS = (
    "tickets",
    "grade_rules",
    "owner_rules",
    "deadline_rules",
    "liaisons",
    "calendar",
    "lists",
    "how_to",
)
CHOICE_COLUMNS = ("status", "tier", "category", "channel", "request", "safety_risk", "customer_confirmed")


@pytest.fixture(scope="module", params=["en", "zh"])
def workbook(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param) / "desk.xlsx"
    write_xlsx(build_spec(request.param, sample=12, now=NOW, seed=3), path)
    return request.param, openpyxl.load_workbook(path)


def _dropdowns(sheet) -> dict[int, tuple[str, str, int]]:
    """Return {0-based column: (validation type, source formula, last row)} of a sheet's validations."""
    sources = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            sources[cell_range.min_col - 1] = (validation.type, validation.formula1, cell_range.max_row)
    return sources


def test_it_writes_every_template_tab_in_order_with_its_name(workbook):
    language, book = workbook
    assert book.sheetnames == [TABS[key].label(language) for key in TEMPLATE_TABS]


def test_tickets_headers_are_the_ticket_columns_in_order(workbook):
    language, book = workbook
    sheet = book[TABS["tickets"].label(language)]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [column.label(language) for column in TICKET_COLUMNS]


def test_tickets_header_is_frozen_bold_and_filtered(workbook):
    language, book = workbook
    sheet = book[TABS["tickets"].label(language)]
    assert sheet.freeze_panes == "B2"  # the header row and the Ticket ID column
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(TICKET_COLUMNS))}13"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["I"].width == 40  # Description


def test_every_choice_column_is_wide_enough_for_its_longest_value(workbook):
    language, book = workbook
    sheet = book[TABS["tickets"].label(language)]
    values = list_values(language)
    for index, column in enumerate(TICKET_COLUMNS):
        if column.choices:
            letter = openpyxl.utils.get_column_letter(index + 1)
            longest = max(values[column.choices], key=display_width)
            assert sheet.column_dimensions[letter].width >= display_width(longest) + 2, (column.key, longest)


def test_a_date_column_leaves_room_so_a_date_never_touches_the_next_columns_text(workbook):
    language, book = workbook
    sheet = book[TABS["tickets"].label(language)]
    for index, column in enumerate(TICKET_COLUMNS):
        if column.kind is Kind.DATETIME:
            letter = openpyxl.utils.get_column_letter(index + 1)
            assert sheet.column_dimensions[letter].width >= len("2026-11-03 19:52") + 3, column.key


def test_choice_columns_have_drop_downs_fed_from_the_lists_tab(workbook):
    language, book = workbook
    sheet = book[TABS["tickets"].label(language)]
    lists_name = TABS["lists"].label(language)
    sources = _dropdowns(sheet)
    for key in CHOICE_COLUMNS:
        position = [column.key for column in TICKET_COLUMNS].index(key)
        kind, formula, last_row = sources[position]
        assert kind == "list" and lists_name in formula and last_row == 1048576


def test_drop_down_ranges_point_at_the_right_list(workbook):
    language, book = workbook
    tickets = book[TABS["tickets"].label(language)]
    lists = book[TABS["lists"].label(language)]
    status_position = [column.key for column in TICKET_COLUMNS].index("status")
    _, formula, _ = _dropdowns(tickets)[status_position]
    cells = formula.split("!")[1].replace("$", "")
    values = [cell.value for (cell,) in lists[cells] if cell.value is not None]
    assert values == [status.label(language) for status in Status]


def test_sample_datetimes_show_to_the_minute(workbook):
    language, book = workbook
    sheet = book[TABS["tickets"].label(language)]
    received = sheet.cell(2, 2)
    assert isinstance(received.value, datetime)
    assert received.number_format == "yyyy-mm-dd hh:mm"


def test_lists_tab_holds_each_list_under_its_header(workbook):
    language, book = workbook
    sheet = book[TABS["lists"].label(language)]
    values = list_values(language)
    for index, key in enumerate(LIST_KEYS):
        column = [
            row[index] for row in sheet.iter_rows(min_row=2, values_only=True) if row[index] is not None
        ]
        assert column == values[key]
    assert sheet.freeze_panes == "A2"


def test_calendar_tab_has_timezone_weekly_hours_and_special_dates(workbook):
    language, book = workbook
    rows = list(book[TABS["calendar"].label(language)].iter_rows(values_only=True))
    assert rows[0][:2] == (("Timezone", "Asia/Shanghai") if language == "en" else ("时区", "Asia/Shanghai"))
    assert rows[2][:3] == (("Weekday", "Start", "End") if language == "en" else ("星期", "上班", "下班"))
    assert rows[3][1:3] == ("09:00", "18:00") and rows[9][1:3] == (None, None)
    assert rows[11][:3] == (("Date", "Type", "Note") if language == "en" else ("日期", "类型", "备注"))
    national_day = next(row for row in rows[12:] if row[0] == "2026-10-01")
    assert national_day[1] == ("holiday" if language == "en" else "节假日")
    assert any(row[1] == ("workday" if language == "en" else "调休上班") for row in rows[12:])


def test_how_to_legend_is_painted_with_the_row_colours(workbook):
    language, book = workbook
    sheet = book[TABS["how_to"].label(language)]
    painted = {cell.fill.fgColor.rgb[-6:] for row in sheet.iter_rows() for cell in row if cell.fill.fill_type}
    assert set(LEGEND_FILLS.values()) <= painted


def test_how_to_lines_fit_their_column_and_say_every_word_of_the_template(workbook):
    language, book = workbook
    sheet = book[TABS["how_to"].label(language)]
    width = sheet.column_dimensions["B"].width
    lines = [row[1] for row in sheet.iter_rows(values_only=True) if len(row) > 1 and row[1]]
    assert all(display_width(line) <= width for line in lines), max(lines, key=display_width)
    sections = load_template(language)["how_to"]["sections"]
    assert "".join("".join(lines).split()) == "".join("".join(_in_sheet_order(sections)).split())


def _in_sheet_order(sections) -> list[str]:
    texts = []
    for section in sections:
        texts += [entry["text"] for entry in section.get("legend", [])]
        texts += [text for _, text in section.get("rows", [])]
    return texts


def test_wrapping_keeps_words_whole_and_never_starts_a_line_with_closing_punctuation():
    assert wrap_to_width("one two three four", 9) == ["one two", "three", "four"]
    lines = wrap_to_width("填写客户、客户等级、产品。问题类型", 10)
    assert all(not line.startswith(("。", "、")) for line in lines)
    assert "".join(lines) == "填写客户、客户等级、产品。问题类型"


def test_legend_colours_are_the_ones_the_daemon_paints():
    assert LEGEND_FILLS == {
        "overdue": FormattingSpec.OVERDUE,
        "due_soon": FormattingSpec.DUE_SOON,
        "paused": FormattingSpec.PAUSED,
        "closed": FormattingSpec.CLOSED,
        "check": FormattingSpec.CHECK,
    }


def _ascii_words(text: object) -> list[str]:
    allowed = {"SLA", "24x7"}
    return [
        word for word in re.findall(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*", str(text)) if word not in allowed
    ]


def test_chinese_workbook_shows_no_english_names_headers_or_list_values(tmp_path):
    path = tmp_path / "zh.xlsx"
    write_xlsx(build_spec("zh"), path)
    book = openpyxl.load_workbook(path)
    shown = list(book.sheetnames)
    for name in book.sheetnames:
        header_rows = (1,) if name != TABS["calendar"].zh else (3, 12)
        shown += [cell.value for row in header_rows for cell in book[name][row] if cell.value is not None]
    lists = book[TABS["lists"].zh]
    shown += [
        value for row in lists.iter_rows(min_row=2, values_only=True) for value in row if value is not None
    ]
    assert [text for text in shown if _ascii_words(text)] == []


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="en, zh"):
        build_spec("fr")


def test_a_workbook_without_samples_has_only_the_header_on_tickets():
    spec = build_spec("en", now=NOW)
    assert len(spec.tab("tickets").rows) == 1
