"""The words of every mail, in English and Chinese, and the HTML skeleton they are poured into.

Wording lives here as data, so a translator edits one file. ``{name}`` fields are filled with ``str.format``
after every value from the sheet has been escaped (HTML) or flattened to one line (text).
"""

from __future__ import annotations

from string import Template

__all__ = ["WORDS", "words", "HTML_PAGE"]

WORDS: dict[str, tuple[str, str]] = {
    # key: (English, Chinese)
    "greeting": ("Hello {name},", "{name}，您好："),
    "greeting_anonymous": ("Hello,", "您好："),
    "intro": (
        "These complaint tickets need your attention, most urgent first.",
        "以下投诉工单需要您跟进，按紧急程度排序。",
    ),
    "intro_summary": (
        "sheetdesk now watches this sheet. Instead of one reminder per ticket, here is everything that is "
        "due or overdue today; from now on you get one digest per cycle, only about what changed.",
        "sheetdesk 已开始监控本表格。为避免大量邮件，以下汇总列出当前所有即将到期和已超时的工单；"
        "此后每个周期最多一封提醒邮件，只包含新的变化。",
    ),
    "role_deputy": (
        "You receive this as deputy: the liaison of {department} has no valid email address in the Liaisons tab.",
        "因{department}的联络官在联络官页没有有效邮箱，此邮件发送给您（副联络官）。",
    ),
    "role_manager": (
        "Tickets marked escalated are more than {hours} hours overdue and are escalated to you as manager.",
        "标记为“已升级”的工单超时已超过 {hours} 小时，已升级给您（部门负责人）。",
    ),
    "role_admin": (
        "You receive these as sheetdesk admin: second-level escalations, and tickets whose department has no "
        "valid email address in the Liaisons tab.",
        "您以 sheetdesk 管理员身份收到此邮件：二级升级的工单，以及责任部门在联络官页没有有效邮箱的工单。",
    ),
    "more_rows": ("… and {count} more tickets — see the sheet.", "…… 另有 {count} 张工单，请在表格中查看。"),
    "footer": ("Sent by sheetdesk.", "本邮件由 sheetdesk 自动发送，请勿直接回复。"),
    "footer_reminder": (
        "Sent by sheetdesk. Update the ticket's row in the sheet; reminders stop once its status moves on.",
        "本邮件由 sheetdesk 自动发送，请勿直接回复。请在表格中更新工单状态，状态推进后提醒将自动停止。",
    ),
    "workbook_line": ("Workbook: {workbook}", "工作簿：{workbook}"),
    "label_value": ("{label}: {value}", "{label}：{value}"),
    "open_row": ("open", "打开"),
    # table columns (the ticket columns come from tickets.columns)
    "column_deadline": ("Deadline", "时限"),
    "column_due": ("Due", "截止时间"),
    "column_late": ("How late", "超时情况"),
    "column_stage": ("Reminder", "提醒"),
    # deadlines and stages
    "deadline_response": ("Response", "响应"),
    "deadline_resolution": ("Resolution", "解决"),
    "deadline_follow_up": ("Follow-up", "回访"),
    "deadline_second_follow_up": ("Second follow-up", "二次回访"),
    "deadline_action": ("Action (owner: {owner})", "措施（负责人：{owner}）"),
    "no_owner": ("not named", "未指定"),
    "stage_dispatch": ("New ticket for you", "新派单"),
    "stage_due_soon": ("Due soon", "即将到期"),
    "stage_overdue": ("Overdue", "已超时"),
    "stage_repeat": ("Overdue, reminder {number}", "已超时（第 {number} 次催办）"),
    "stage_escalation": ("Escalated to manager", "已升级至部门负责人"),
    "stage_admin_escalation": ("Escalated to admin", "已升级至管理员"),
    "stage_customer_replied": ("Customer replied — read the Messages tab", "客户已回复——请查看往来记录"),
    "deadline_customer_replied": ("Customer replied", "客户回复"),
    "replied_at": ("replied", "已回复"),
    "due_line": ("{deadline} due {due}", "{deadline}截止 {due}"),
    "late": ("{duration} late", "超时 {duration}"),
    "left": ("{duration} left", "剩余 {duration}"),
    # subjects
    "count_escalated": ("{count} escalated", "{count} 项已升级"),
    "count_overdue": ("{count} overdue", "{count} 项已超时"),
    "count_due_soon": ("{count} due soon", "{count} 项即将到期"),
    "count_follow_up": ("{count} follow-up due", "{count} 项待回访"),
    "count_action": ("{count} action overdue", "{count} 项措施超期"),
    "count_dispatch": ("{count} new", "{count} 项新派单"),
    "count_replied": ("{count} customer replied", "{count} 项客户回复"),
    "list_separator": (", ", "，"),
    "subject": ("{counts} — {department}", "{counts} — {department}"),
    "subject_summary": ("Summary: {counts} — {department}", "汇总：{counts} — {department}"),
    "departments": ("{count} departments", "{count} 个部门"),
    # durations
    "days": ("{count} d", "{count}天"),
    "hours": ("{count} h", "{count}小时"),
    "minutes": ("{count} min", "{count}分钟"),
    "duration_separator": (" ", ""),
    # alerts
    "breaker_subject": (
        "sheetdesk held all reminders: {count} tickets turned overdue at once",
        "sheetdesk 已暂停全部提醒：{count} 张工单同时超时",
    ),
    "breaker_body": (
        "In the cycle at {now}, {count} of {open} open tickets ({share}) turned overdue at once. That is more "
        "than the breaker allows ({limit}), which usually means dates were misread (a changed date format, "
        "day and month swapped). No reminders are sent until the dates are fixed, the breaker is released, "
        "or {hours} hours pass. Tickets involved (first {shown}):",
        "在 {now} 的周期中，{open} 张未结工单中有 {count} 张（{share}）同时变为超时，超过阈值（{limit}），"
        "通常是日期被误读（日期格式改变、日月颠倒）。在日期修正、熔断被解除或 {hours} 小时过去之前，"
        "系统不会发送任何提醒。涉及的工单（前 {shown} 张）：",
    ),
    "failure_subject": (
        "sheetdesk could not deliver {count} messages",
        "sheetdesk 有 {count} 封邮件无法送达",
    ),
    "failure_body": (
        "These messages failed and will not be retried. Check the [mail] settings and the addresses in the "
        "Liaisons tab; `sheetdesk mail-test --to ADDRESS` tries the connection.",
        "以下邮件发送失败，不再重试。请检查 [mail] 配置和联络官页中的邮箱地址；可用 "
        "`sheetdesk mail-test --to 邮箱` 测试连接。",
    ),
    "failure_line": (
        "To {recipient}: “{subject}” — {failures} attempts — {error}",
        "收件人 {recipient}：“{subject}” —— 尝试 {failures} 次 —— {error}",
    ),
    "cluster_subject": (
        "Complaint cluster: {clusters}",
        "同类投诉聚集：{clusters}",
    ),
    "cluster_body": (
        "These products have {threshold} or more complaints of the same category within {days} days. "
        "Consider a root-cause review across the tickets.",
        "以下产品在 {days} 天内出现 {threshold} 张或以上同类投诉，建议对这些工单统一开展根本原因分析。",
    ),
    "cluster_line": (
        "{product} · {category}: {count} tickets ({tickets})",
        "{product} · {category}：{count} 张工单（{tickets}）",
    ),
    "daily_subject": ("Daily complaint digest — {day}", "投诉日报 — {day}"),
    "monthly_subject": ("Monthly complaint review — {month}", "月度投诉复盘 — {month}"),
    "monthly_intro": (
        "The complaint desk in {month}: counts, top root causes, open actions and owners, and the KPIs against "
        "their targets, the month before and the same month last year.",
        "{month} 投诉处理复盘：各类数量、主要根本原因、未完成措施及负责人，以及关键指标对照目标、上月和去年同月。",
    ),
    "daily_intro": ("The complaint desk on {day}:", "{day} 投诉处理概况："),
    "daily_overdue": ("Overdue in {departments} ({count}), most overdue first:",
                      "{departments}的超时工单（{count} 张），超时最久的在前："),
    "daily_no_overdue": ("Nothing is overdue in {departments}.", "{departments}没有超时工单。"),
    "daily_department": ("{departments}:", "{departments}："),
    "daily_desk": ("The whole desk:", "全部门汇总："),
    "test_subject": ("sheetdesk test message", "sheetdesk 测试邮件"),
    "test_body": (
        "This is a test from sheetdesk. If you can read it, mail from the complaint desk reaches you.",
        "这是 sheetdesk 的测试邮件。能看到这封邮件，说明投诉处理系统的邮件可以送达您。",
    ),
}


def words(key: str, language: str, **fields: object) -> str:
    """Return the phrase ``key`` in ``language`` (zh, else English) with ``fields`` filled in."""
    english, chinese = WORDS[key]
    return (chinese if language == "zh" else english).format(**fields)


# One column, at most 640 px wide, every style inline and no external asset: it reads the same at 900 px and on a
# 375 px phone, in clients that drop <style> blocks (Gmail's app, Outlook). Tickets are blocks, not table rows.
HTML_PAGE = Template(
    """<!DOCTYPE html>
<html lang="$language">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>$title</title></head>
<body style="margin: 0; padding: 12px; font-family: -apple-system, 'Segoe UI', Roboto, 'PingFang SC', 'Microsoft YaHei', sans-serif; font-size: 15px; line-height: 1.45; color: #222; background: #ffffff;">
<div style="max-width: 640px; margin: 0 auto;">
$body
<p style="color: #666; font-size: 13px; border-top: 1px solid #ddd; padding-top: 8px; margin-top: 20px;">$footer</p>
</div>
</body>
</html>
"""
)
