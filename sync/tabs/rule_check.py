"""The Rule check tab (规则检查): every problem of the rule tabs, Lists, Liaisons and Calendar, with its tab and
cell, and a line for each rule tab that is not applied or missing (DESIGN §3)."""

from __future__ import annotations

from collections.abc import Sequence

from sync.backends.port import GeneratedTab
from sync.rule_loading import LoadedRules
from tickets import CalendarProblem

__all__ = ["rule_check_tab"]

_TEXT = {
    "header": (("Tab", "Cell", "Severity", "Problem"), ("页", "单元格", "级别", "问题")),
    "error": ("error", "错误"),
    "warning": ("warning", "提示"),
    "fine": ("No problems found in the rule tabs, Lists, Liaisons or Calendar.", "规则页、选项、联络官和工作日历均未发现问题。"),
    "not_applied": (
        "{tab} has errors and is not applied: its last good version is used until they are fixed.",
        "{tab}有错误，暂不生效：在修正之前沿用上一版有效规则。",
    ),
    "not_applied_none": (
        "{tab} has errors and is not applied, and there is no earlier good version: its columns stay blank.",
        "{tab}有错误，暂不生效，且没有可沿用的旧版本：相关列暂时留空。",
    ),
    "missing": ("the workbook has no {tab} tab — add it (see `sheetdesk init`)", "工作簿缺少“{tab}”页，请添加（可参考 `sheetdesk init`）"),
}


def _say(key: str, language: str, **values: object) -> str:
    english, chinese = _TEXT[key]
    return (chinese if language == "zh" else english).format(**values)  # type: ignore[union-attr]


def rule_check_tab(
    loaded: LoadedRules, calendar_problems: Sequence[CalendarProblem], language: str,
    others: Sequence[tuple[str, str | None, str]] = (),
) -> GeneratedTab:
    """Return the Rule check tab: a line per tab not applied, then every problem with its tab and cell;
    ``others`` are more problems as ``(tab, cell, message)`` (an intake channel's)."""
    header = list(_TEXT["header"][1 if language == "zh" else 0])
    rows: list[list] = [header]
    for tab, has_fallback in loaded.not_applied.items():
        rows.append([tab, None, _say("error", language), _say("not_applied" if has_fallback else "not_applied_none", language, tab=tab)])
    for tab in loaded.missing:
        rows.append([tab, None, _say("error", language), _say("missing", language, tab=tab)])
    for problem in loaded.problems:
        rows.append([problem.tab, problem.cell, _say(problem.severity, language), problem.message(language)])
    for problem in calendar_problems:
        tab, _, cell = problem.where.partition("!")
        rows.append([tab, cell, _say("error", language), problem.message(language)])
    for tab, cell, message in others:
        rows.append([tab, cell, _say("error", language), message])
    if len(rows) == 1:
        rows.append([None, None, None, _say("fine", language)])
    return GeneratedTab(rows, widths=[16, 8, 9, 100])
