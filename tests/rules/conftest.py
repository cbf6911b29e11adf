"""A small, realistic set of rule tabs, as rows of cell values, in English and in Chinese."""

from __future__ import annotations

import pytest

from rules import Lists, parse_lists

LISTS_EN = [
    ["Grade", "Tier", "Category", "Channel", "Request", "Status", "Yes/No"],
    ["A", "Platinum", "Safety", "Phone", "Refund", "New", "Yes"],
    ["B", "Gold", "Quality", "Email", "Repair", "Resolved", "No"],
    ["C", "Standard", "Delivery", "Web", None, None, None],
    [None, None, "Billing", None, None, None, None],
]

GRADE_EN = [
    ["Rule", "On", "IF Safety risk", "IF Similar 7d", "IF Tier", "THEN Grade", "Note"],
    ["G1", "yes", "yes", "-", "-", "A", "safety first"],
    ["G2", "", "-", ">=5", "-", "A", "a cluster"],
    ["G3", "", "-", "-", "Platinum, Gold", "B", ""],
    ["G4", "no", "-", "-", "Standard", "A", "switched off"],
    [None, None, None, None, None, None, "a note row between rules"],
    ["G5", "", "-", "-", "-", "C", "catch-all"],
]

OWNER_EN = [
    ["Rule", "On", "IF Category", "IF Grade", "THEN Department", "THEN Liaison", "Note"],
    ["O1", "", "Safety", "-", "Quality", "Li Lei", ""],
    ["O2", "", "Delivery", "-", "Logistics", "", ""],
    ["O3", "", "-", "A", "Quality", "", ""],
    ["O4", "", "-", "-", "Service", "", "catch-all"],
]

DEADLINE_EN = [
    [
        "Rule",
        "IF Grade",
        "IF Tier",
        "THEN Response hours",
        "THEN Resolution hours",
        "THEN Follow-up hours",
        "THEN Clock",
    ],
    ["D1", "A", "-", 1, 24, 24, "24x7"],
    ["D2", "B", "Platinum, Gold", 4, 48, "", "business"],
    ["D3", "B", "Standard", 8, 72, "", ""],
    ["D4", "C", "-", 24, 120, "", "business"],
]

LIAISONS_EN = [
    ["Department", "Liaison", "Email", "Manager", "Manager email", "Deputy email", "Language"],
    ["Quality", "Li Lei", "li.lei@example.com", "Wang Fang", "wang.fang@example.com", "", "中文"],
    ["Logistics", "Ann Lee", "ann@example.com", "Bob Ray", "bob@example.com", "cy@example.com", "English"],
    ["Service", "Sam Hill", "sam@example.com", "", "", "", ""],
]

LISTS_ZH = [
    ["等级", "客户等级", "问题类型", "渠道", "客户诉求"],
    ["一级", "钻石", "安全", "电话", "退款"],
    ["二级", "金卡", "质量", "邮件", "维修"],
    ["三级", "普通", "物流", None, None],
]

GRADE_ZH = [
    ["规则", "启用", "如果 安全隐患", "如果7日同类", "如果 客户等级", "则 等级", "备注"],
    ["G1", "是", "是", "-", "-", "一级", ""],
    ["G2", "", "-", "≥5", "-", "一级", ""],
    ["G3", "", "-", "-", "钻石，金卡", "二级", ""],
    ["G4", "否", "-", "-", "普通", "一级", "停用"],
    ["G5", "", "-", "-", "-", "三级", "兜底"],
]

OWNER_ZH = [
    ["规则", "启用", "如果 问题类型", "如果 状态", "则 责任部门", "则 联络官"],
    ["O1", "", "安全", "-", "质量部", ""],
    ["O2", "", "-", "已解决, 已关闭", "客服部", ""],
    ["O3", "", "-", "-", "客服部", ""],
]

DEADLINE_ZH = [
    ["规则", "如果 等级", "则 响应时限", "则 解决时限", "则 回访时限", "则 计时方式"],
    ["D1", "一级", 1, 24, "", "全天候"],
    ["D2", "二级, 三级", 8, 72, 24, "工作时间"],
]

LIAISONS_ZH = [
    ["责任部门", "联络官", "邮箱", "经理", "经理邮箱", "副联络人邮箱", "语言"],
    ["质量部", "李雷", "lilei@example.cn", "王芳", "wangfang@example.cn", "", "中文"],
    ["客服部", "韩梅梅", "hanmeimei@example.cn", "", "", "", "zh"],
]


@pytest.fixture
def lists_en() -> Lists:
    return parse_lists(LISTS_EN)[0]


@pytest.fixture
def lists_zh() -> Lists:
    return parse_lists(LISTS_ZH, "选项")[0]
