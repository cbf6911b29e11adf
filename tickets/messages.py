"""Plain-language messages for people editing the sheet, in English and Chinese.

A problem is data (a code and its parameters) until it is rendered for a workbook's language, so tests can
assert on codes while people read sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tickets.values import shorten

__all__ = ["Problem", "Choices", "render", "TEMPLATES"]

LONG_QUOTE = 400  # characters of a list of allowed values a message quotes

TEMPLATES: dict[str, tuple[str, str]] = {
    # code: (English, Chinese)
    "not_a_date": (
        '{column}: "{value}" is not a date — write it like 2026-11-23 14:00',
        "{column}：“{value}”不是日期，请写成 2026-11-23 14:00 这样的格式",
    ),
    "future_date": (
        "{column}: {value} is in the future — check the date",
        "{column}：{value} 晚于当前时间，请检查日期",
    ),
    "not_a_whole_number": (
        '{column}: "{value}" is not a whole number — write a number such as 3',
        "{column}：“{value}”不是整数，请填写如 3 这样的数字",
    ),
    "negative_number": (
        "{column}: {value} is below zero — write 0 or more",
        "{column}：{value} 小于 0，请填写 0 或更大的数",
    ),
    "not_yes_no": (
        '{column}: "{value}" is not yes or no — write yes or no',
        "{column}：“{value}”不是“是”或“否”，请填写 是 或 否",
    ),
    "unknown_value": (
        '{column}: "{value}" is not an allowed value — use one of: {allowed}',
        "{column}：“{value}”不在可选值中，请从以下选择：{allowed}",
    ),
    "unknown_status": (
        '{column}: "{value}" is not a status — use one of: {allowed}',
        "{column}：“{value}”不是有效状态，请从以下选择：{allowed}",
    ),
    "formula_error": (
        "{column}: the formula gives {value} — fix the formula or type the value",
        "{column}：公式结果为 {value}，请修正公式或直接填写数值",
    ),
    "formula_without_value": (
        "{column}: the cell holds a formula ({value}) but no value — type the value instead, or make the formula "
        "give one (an .xlsx written by a program that does not calculate: open and save it in Excel or LibreOffice)",
        "{column}：单元格是公式（{value}）但没有结果值 —— 请直接填写数值，或让公式给出结果（由不计算公式的程序写出的 .xlsx："
        "用 Excel/LibreOffice 打开并保存）",
    ),
    "invisible_character": (
        '{column}: "{value}" holds an invisible character ({character}) — retype the value without it',
        "{column}：“{value}”含有不可见字符（{character}），请删除后重新输入",
    ),
    "ambiguous_date": (
        '{column}: "{value}" is ambiguous — it is {day_first} read day-first and {month_first} read month-first; '
        "write it as 2026-11-23, or set [workbook] date_order = \"DMY\" or \"MDY\" in config.toml",
        "{column}：“{value}”有歧义 —— 按日/月读是 {day_first}，按月/日读是 {month_first}；请写成 2026-11-23，"
        "或在 config.toml 的 [workbook] 中设置 date_order = \"DMY\" 或 \"MDY\"",
    ),
    "merged_cell": (
        "{column}: {cell} is merged into {range} — unmerge it, so this row has its own cell",
        "{column}：{cell} 被合并在 {range} 中，请取消合并，让本行有自己的单元格",
    ),
    "received_invalid": (
        "{column} is not stamped while Received is not a valid time — fix Received first",
        "接收时间无效，暂不自动填写{column}，请先修正接收时间",
    ),
    "satisfaction_range": (
        "{column}: {value} is outside 1–10 — write a score from 1 to 10",
        "{column}：{value} 超出 1–10，请填写 1 到 10 的分数",
    ),
    "required_for_status": (
        "{column} is empty — a {status} ticket needs it",
        "{column}为空 —— 状态为“{status}”的工单必须填写",
    ),
    "fix_not_verified": (
        "{column} is no — a {status} ticket needs the fix checked to work: verify it, then write yes",
        "{column}为“否” —— 状态为“{status}”的工单需确认措施有效，验证后填写 是",
    ),
    "not_confirmed": (
        '{column} is not yes — a {status} ticket needs the customer\'s confirmation, or a Note starting '
        '"unreachable" after two tries',
        "{column}不是“是” —— 状态为“{status}”的工单需客户确认；两次联系不上时请在备注开头写“无法联系”",
    ),
    "second_follow_up_needed": (
        "{column} is empty — the score {value} is below the target {target}: a second follow-up comes before "
        "Closed",
        "{column}为空 —— 满意度 {value} 低于目标 {target}，关闭前需进行二次回访",
    ),
    "before_received": (
        "{column}: {value} is before Received — check the date",
        "{column}：{value} 早于接收时间，请检查日期",
    ),
    "duplicate_id": (
        '{column}: "{value}" is also used on row {other_row} — give one of them a new ID or clear it',
        "{column}：“{value}”与第 {other_row} 行重复，请修改其中一个或清空让系统重新编号",
    ),
    "no_rule": (
        "⚠ no rule on the {tab} tab matches this ticket — add a rule or a catch-all row",
        "⚠ {tab}中没有规则匹配此工单，请添加规则或兜底行",
    ),
    "rule_conflict": (
        "⚠ rules {rules} on the {tab} tab all match this ticket — make them exclusive",
        "⚠ {tab}：规则 {rules} 同时匹配此工单，请修改使其互斥",
    ),
    "rules_not_applied": (
        "⚠ {tab} has errors (see Rule check); the last good version is used",
        "⚠ {tab}有错误（见规则检查页），当前沿用上一版有效规则",
    ),
    "rules_unavailable": (
        "⚠ {tab} cannot be applied (see Rule check) and has no earlier good version — this column stays blank",
        "⚠ {tab}有错误且没有可沿用的旧版本（见规则检查页），此列暂时留空",
    ),
    "empty_choice": (
        "{column} is empty — choose one of: {allowed}",
        "{column}为空 —— 请从以下选择：{allowed}",
    ),
    "contact_bounced": (
        "{column}: mail to {value} bounced on {date} — fix the Contact (customer mail to it is held until it "
        "changes)",
        "{column}：发往 {value} 的邮件已于 {date} 被退回——请修正联系方式（修正前不再给该地址发客户邮件）",
    ),
    "missing_input": (
        "{column} is empty — the rules need it to {purpose}",
        "{column}为空 —— 规则需要它来{purpose}",
    ),
}


@dataclass(frozen=True)
class Choices:
    """The allowed values a message offers: joined with ", " in English and "、" in Chinese, each value in the
    message's language when it knows its own labels (statuses)."""

    values: tuple[Any, ...]

    def label(self, language: str) -> str:
        separator = "、" if language == "zh" else ", "
        return separator.join(str(_localize("", value, language)) for value in self.values)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a row: which column, what kind of problem, and the details."""

    column: str | None  # a column key from tickets.columns, or None for the row as a whole
    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def render(self, language: str, column_label: str = "") -> str:
        return render(self.code, language, column=column_label, **self.params)


def render(code: str, language: str, **params: Any) -> str:
    """Return the message ``code`` in ``language`` with ``params`` filled in."""
    english, chinese = TEMPLATES[code]
    template = chinese if language == "zh" else english
    localized = {name: _localize(name, value, language) for name, value in params.items()}
    return template.format(**localized)


def _localize(name: str, value: Any, language: str) -> Any:
    """Values that know their own labels (statuses, columns, tabs) speak the workbook's language; a value from
    a cell is quoted shortened and with its invisible characters shown, so a message always fits its cell."""
    speak = getattr(value, "label", None)
    if callable(speak):
        return speak(language)
    if name == "value":
        return shorten(value)
    return shorten(value, LONG_QUOTE) if isinstance(value, str) else value
