"""The closed loop's statuses, in English and Chinese (DESIGN §3)."""

from __future__ import annotations

from enum import StrEnum

from tickets.columns import normalize_label

__all__ = ["Status", "OPEN_STATUSES", "DONE_STATUSES", "parse_status"]


class Status(StrEnum):
    """A ticket's place in the loop. The value is the English label."""

    NEW = "New"
    ACKNOWLEDGED = "Acknowledged"
    INVESTIGATING = "Investigating"
    ACTION = "Action"
    WAITING = "Waiting on customer"
    RESOLVED = "Resolved"
    FOLLOWED_UP = "Followed up"
    CLOSED = "Closed"
    DUPLICATE = "Duplicate"

    @property
    def zh(self) -> str:
        return _CHINESE[self]

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.value


_CHINESE: dict[Status, str] = {
    Status.NEW: "新建",
    Status.ACKNOWLEDGED: "已响应",
    Status.INVESTIGATING: "调查中",
    Status.ACTION: "处理中",
    Status.WAITING: "待客户反馈",
    Status.RESOLVED: "已解决",
    Status.FOLLOWED_UP: "已回访",
    Status.CLOSED: "已关闭",
    Status.DUPLICATE: "重复",
}

# Statuses whose response/resolution clocks still run (or are paused, for WAITING).
OPEN_STATUSES = frozenset(
    {Status.NEW, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.ACTION, Status.WAITING}
)
# Statuses at or past resolution.
DONE_STATUSES = frozenset({Status.RESOLVED, Status.FOLLOWED_UP, Status.CLOSED})

_LOOKUP: dict[str, Status] = {}
for _status in Status:
    _LOOKUP[normalize_label(_status.value)] = _status
    _LOOKUP[normalize_label(_status.zh)] = _status
_LOOKUP.update(
    {
        normalize_label("Waiting"): Status.WAITING,
        normalize_label("In progress"): Status.ACTION,
        normalize_label("Open"): Status.NEW,
        normalize_label("Done"): Status.RESOLVED,
        normalize_label("Follow-up done"): Status.FOLLOWED_UP,
        normalize_label("已关闭"): Status.CLOSED,
        normalize_label("关闭"): Status.CLOSED,
        normalize_label("已完成"): Status.RESOLVED,
    }
)


def parse_status(text: object) -> Status | None:
    """Return the status a cell names (either language, any case), or None if it names none."""
    return _LOOKUP.get(normalize_label(text))
