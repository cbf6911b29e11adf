"""Headers are matched by label, case- and space-insensitive, in English or Chinese."""

from __future__ import annotations

from tickets import TICKET_COLUMNS, find_tab, match_headers, parse_status


def test_headers_match_in_either_language_whatever_their_case_and_spacing():
    found = match_headers(["ticket  ID", "客户", "STATUS", "Similar 7D", "回访截止", "My own column"])
    assert found.positions == {"ticket_id": 0, "customer": 1, "status": 2, "similar_7d": 3, "follow_up_due": 4}
    assert found.unknown == [(5, "My own column")]


def test_config_aliases_add_header_names():
    assert match_headers(["Client"], {"customer": ["Client"]}).positions == {"customer": 0}


def test_a_second_header_for_the_same_column_is_reported_and_the_first_wins():
    found = match_headers(["Customer", "客户"])
    assert found.positions == {"customer": 0} and found.duplicates == [(1, "客户")]


def test_the_language_is_the_one_most_headers_are_written_in():
    assert match_headers([column.zh for column in TICKET_COLUMNS]).language == "zh"
    assert match_headers([column.en for column in TICKET_COLUMNS]).language == "en"


def test_tabs_are_found_by_either_name():
    assert find_tab(["工单", "选项"], "tickets") == "工单"
    assert find_tab(["Sheet1", " grade RULES "], "grade_rules") == " grade RULES "
    assert find_tab(["Sheet1"], "tickets") is None


def test_statuses_read_in_either_language():
    assert parse_status("待客户反馈").value == "Waiting on customer"
    assert parse_status(" waiting on CUSTOMER ").value == "Waiting on customer"
    assert parse_status("whatever") is None
