"""Problems with rule tabs, each with its tab and cell, in English and Chinese, for the Rule check tab.

A ``RuleProblem`` of severity "error" keeps its tab from being applied (the last good version keeps serving);
a "warning" is shown but blocks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tickets.columns import cell_name, column_letter

__all__ = ["RuleProblem", "ERROR", "WARNING", "RULE_MESSAGES", "cell_name", "column_letter"]

ERROR = "error"
WARNING = "warning"

RULE_MESSAGES: dict[str, tuple[str, str]] = {
    # code: (English, Chinese)
    "error_value": (
        "the cell shows the error {value} — fix its formula or type the condition; until then this rule is not "
        "applied",
        "单元格显示错误 {value} —— 请修正公式或直接填写条件；在此之前此规则不生效",
    ),
    "formula_without_value": (
        "the cell holds a formula ({value}) but no value — type the condition instead, or open and save the "
        "workbook in Excel or LibreOffice",
        "单元格是公式（{value}）但没有结果值 —— 请直接填写条件，或用 Excel/LibreOffice 打开并保存工作簿",
    ),
    "empty_tab": (
        "the tab is empty — put the headers in row 1: {headers}",
        "此页为空，请在第 1 行写表头：{headers}",
    ),
    "unknown_column": (
        '"{header}" is not a column{hint}',
        "“{header}”不是有效的列{hint_zh}",
    ),
    "computed_column": (
        '"{header}" is filled in by sheetdesk itself — rules cannot test it',
        "“{header}”由系统计算填写，规则不能以它为条件",
    ),
    "grade_in_grade_rules": (
        '"{header}": Grade rules decide the grade, so they cannot test it',
        "“{header}”：定级规则用来决定等级，不能以等级为条件",
    ),
    "unknown_output": (
        '"{header}" is not an output of this tab{hint}',
        "“{header}”不是此页的输出列{hint_zh}",
    ),
    "unknown_header": (
        '"{header}" is not a rule column and is ignored — start it with IF or THEN, or call it Note',
        "“{header}”不是规则列，已忽略 —— 请以“如果”或“则”开头，或命名为“备注”",
    ),
    "duplicate_output": (
        '"{header}" is already in column {other} — keep one of them',
        "“{header}”与 {other} 列重复，请只保留一列",
    ),
    "missing_output": (
        'the tab needs a "{header}" column',
        "此页缺少“{header}”列",
    ),
    "missing_rule_column": (
        'there is no "Rule" column — add one so each rule has an ID; until then rules are named by row',
        "缺少“规则”列，请添加以便每条规则有编号；在此之前按行号称呼规则",
    ),
    "no_rules": (
        "the tab has no rule that is switched on — every ticket will miss this step",
        "此页没有启用的规则，所有工单都会缺少这一步的结果",
    ),
    "unreadable_cell": (
        "{message}",
        "{message}",
    ),
    "bad_on": (
        '"{value}" is not yes or no — write yes, no, or leave it blank for yes',
        "“{value}”不是“是”或“否”，请填写 是、否，或留空表示是",
    ),
    "not_in_list": (
        '"{value}" is not on the {list} list of the Lists tab — use one of: {allowed}',
        "“{value}”不在选项页的“{list}”列表中，请从以下选择：{allowed}",
    ),
    "not_a_status": (
        '"{value}" is not a status — use one of: {allowed}',
        "“{value}”不是有效状态，请从以下选择：{allowed}",
    ),
    "wrong_kind": (
        '"{value}" can never match: {header} holds {kind} — write {example}',
        "“{value}”永远不会匹配：{header}填写的是{kind_zh}，请写成 {example}",
    ),
    "empty_output": (
        "{header} is empty — write {example}",
        "{header}为空，请填写如 {example}",
    ),
    "bad_hours": (
        '"{value}" is not a number of hours — write a number such as 24',
        "“{value}”不是小时数，请填写如 24 这样的数字",
    ),
    "resolution_before_response": (
        "resolution hours ({resolution}) are below response hours ({response}) — a ticket is answered before it is resolved",
        "解决时限（{resolution}）小于响应时限（{response}），工单应先响应再解决",
    ),
    "bad_clock": (
        '"{value}" is not a clock — write business or 24x7',
        "“{value}”不是计时方式，请填写 工作时间 或 全天候",
    ),
    "duplicate_rule_id": (
        "rule {rule} is also on row {other_row} — give each rule its own ID",
        "规则编号 {rule} 与第 {other_row} 行重复，请给每条规则不同的编号",
    ),
    "missing_rule_id": (
        'this rule has no ID — write one such as {example}; until then it is called "{rule}"',
        "此规则没有编号，请填写如 {example}；在此之前称为“{rule}”",
    ),
    "overlap": (
        "rules {first} and {second} can both match one ticket ({example}) — make them exclusive, "
        "this tab allows exactly one match",
        "规则 {first} 和 {second} 可能同时匹配同一工单（{example}），请修改使其互斥，此页只允许匹配一条",
    ),
    "gap": (
        "no rule covers grade {grade} with tier {tier}{example} — add a row for them here",
        "没有规则覆盖等级 {grade} 与客户等级 {tier} 的组合{example}，请在此处添加一行",
    ),
    "hidden_rule": (
        "rule {rule} can never fire: rule {earlier} above it takes all its tickets — move it up or narrow {earlier}",
        "规则 {rule} 永远不会生效：上方的规则 {earlier} 已覆盖它的全部工单，请把它上移或收窄 {earlier}",
    ),
    "no_catch_all": (
        "the last rule is not a catch-all — add a last row with every IF cell blank so every ticket gets an owner",
        "最后一条规则不是兜底规则，请在最后添加一行且所有条件留空，确保每张工单都有负责部门",
    ),
    "unknown_department": (
        'department "{department}" is not on the {liaisons} tab{hint}',
        "责任部门“{department}”不在{liaisons}页中{hint_zh}",
    ),
    "unknown_liaison": (
        'liaison "{liaison}" is not listed for {department} on the {liaisons} tab — add the row there or fix the name',
        "联络官“{liaison}”未在{liaisons}页中登记为{department}的联络官，请在该页添加或修正姓名",
    ),
    "bad_email": (
        '"{value}" is not an email address — write it like name@example.com',
        "“{value}”不是邮箱地址，请写成 name@example.com 这样的格式",
    ),
    "missing_email": (
        "{department} has no email — reminders for it cannot be sent",
        "{department}没有填写邮箱，无法发送提醒",
    ),
    "missing_department": (
        "this row has no department — write the department it belongs to",
        "此行没有填写责任部门，请填写",
    ),
    "duplicate_department": (
        "{department} is also on row {other_row} — the first row is used",
        "{department}与第 {other_row} 行重复，使用第一行",
    ),
    "bad_language": (
        '"{value}" is not a language — write English or 中文; English is used',
        "“{value}”不是语言，请填写 English 或 中文；暂按英文处理",
    ),
    "missing_column": (
        'the tab needs a "{header}" column',
        "此页缺少“{header}”列",
    ),
    "unknown_list": (
        '"{header}" is not a list sheetdesk uses and is ignored — lists are {allowed}',
        "“{header}”不是系统使用的列表，已忽略；可用列表：{allowed}",
    ),
    "duplicate_list_value": (
        '"{value}" is already on row {other_row} of this list — remove one',
        "“{value}”在此列表第 {other_row} 行已出现，请删除其中一个",
    ),
    "no_grades": (
        "the Lists tab has no Grade list — add the grades there, most urgent first",
        "选项页没有“等级”列表，请添加，最紧急的在最前",
    ),
    # what screening a tab finds (rules.screen)
    "merged_rule_cells": (
        "the cells {range} are merged — unmerge it: only {first} holds a value, the other cells read as empty "
        "(on a rule tab, an empty cell means any); until then this tab is not applied",
        "单元格 {range} 已合并 —— 请取消合并：只有 {first} 有值，其余单元格读作空（在规则页中空表示任意）；在此之前此页不生效",
    ),
    "merged_cells": (
        "the cells {range} are merged — unmerge it: only {first} holds a value, the other cells read as empty",
        "单元格 {range} 已合并 —— 请取消合并：只有 {first} 有值，其余单元格读作空",
    ),
    "merged_note_cells": (
        "the cells {range} are merged — unmerge it; it covers only notes, so nothing is misread",
        "单元格 {range} 已合并 —— 请取消合并；它只涉及备注，不影响读取",
    ),
    "invisible_in_rule_cell": (
        '"{value}" holds an invisible character ({character}) — retype the value without it; it is read without it '
        "meanwhile",
        "“{value}”含有不可见字符（{character}）—— 请不带该字符重新输入；在此之前按去掉该字符读取",
    ),
    "header_error_value": (
        "the header shows the error {value} — type the column's name (IF …, THEN …, Note); until then this tab is "
        "not applied",
        "表头显示错误 {value} —— 请直接填写列名（如果 …、则 …、备注）；在此之前此页不生效",
    ),
    "header_formula": (
        "the header holds a formula ({value}) but no value — type the column's name (IF …, THEN …, Note); until then "
        "this tab is not applied",
        "表头是公式（{value}）但没有结果值 —— 请直接填写列名（如果 …、则 …、备注）；在此之前此页不生效",
    ),
    "cell_error_value": (
        "the cell shows the error {value} — fix its formula or type the value; until then it is read as empty",
        "单元格显示错误 {value} —— 请修正公式或直接填写；在此之前读作空",
    ),
    "cell_formula": (
        "the cell holds a formula ({value}) but no value — type the value instead, or open and save the workbook "
        "in Excel or LibreOffice; until then it is read as empty",
        "单元格是公式（{value}）但没有结果值 —— 请直接填写，或用 Excel/LibreOffice 打开并保存工作簿；在此之前读作空",
    ),
}


@dataclass(frozen=True)
class RuleProblem:
    """One problem with a rule tab: where (the tab's actual name, an A1 cell or None for the whole tab), what
    (a code from RULE_MESSAGES and its sentence in both languages) and how bad (error blocks the tab)."""

    tab: str
    cell: str | None
    code: str
    message_en: str
    message_zh: str
    severity: str = ERROR

    @classmethod
    def make(cls, tab: str, cell: str | None, code: str, severity: str = ERROR, **params: Any) -> RuleProblem:
        """Return the problem ``code`` with its message templates filled in from ``params``."""
        english, chinese = RULE_MESSAGES[code]
        return cls(tab, cell, code, english.format(**params), chinese.format(**params), severity)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def place(self) -> str:
        return f"{self.tab}!{self.cell}" if self.cell else self.tab

    def message(self, language: str) -> str:
        return self.message_zh if language == "zh" else self.message_en

    def render(self, language: str = "en") -> str:
        """Return the line for the Rule check tab, e.g. `Owner rules!C1: "IF Prodcut" is not a column — …`."""
        separator = "：" if language == "zh" else ": "
        return f"{self.place}{separator}{self.message(language)}"

    def __str__(self) -> str:
        return self.render("en")


