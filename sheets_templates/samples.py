"""Realistic sample tickets for a new workbook (``sheetdesk init --sample N``).

Tickets walk the whole closed loop — mostly open (New, Acknowledged, Investigating, Action), some Waiting on
customer, Resolved, Followed up and Closed, and a Duplicate — over the three weeks up to ``now``. Every
timestamp is consistent with the status and never in the future; Closed tickets carry root cause, corrective
and preventive action and a follow-up; a few carry a safety risk; a handful of tickets about the same product
and category arrive within a few days (a cluster for ``Similar 7d``). Computed columns stay blank: the daemon
fills them. The same language, count, ``now`` and seed give the same tickets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sheets_templates.template import load_template
from tickets import DONE_STATUSES, INPUT_KEYS, Status
from tickets.model import DEFAULT_SATISFACTION_TARGET

__all__ = ["sample_tickets"]

# Statuses handed out in this order, so even a few tickets show the loop and most of them are open.
_STATUS_CYCLE: tuple[Status, ...] = (
    Status.NEW,
    Status.ACKNOWLEDGED,
    Status.INVESTIGATING,
    Status.ACTION,
    Status.NEW,
    Status.WAITING,
    Status.ACKNOWLEDGED,
    Status.RESOLVED,
    Status.INVESTIGATING,
    Status.CLOSED,
    Status.ACTION,
    Status.FOLLOWED_UP,
    Status.NEW,
    Status.ACKNOWLEDGED,
    Status.DUPLICATE,
    Status.INVESTIGATING,
    Status.CLOSED,
    Status.ACTION,
    Status.WAITING,
    Status.RESOLVED,
)
# How long ago (hours) a ticket in each status was received: later in the loop means older.
_AGE_HOURS: dict[Status, tuple[float, float]] = {
    Status.NEW: (0.5, 30),
    Status.ACKNOWLEDGED: (2, 72),
    Status.INVESTIGATING: (12, 160),
    Status.ACTION: (24, 260),
    Status.WAITING: (30, 300),
    Status.RESOLVED: (60, 330),
    Status.FOLLOWED_UP: (120, 450),
    Status.CLOSED: (180, 500),
    Status.DUPLICATE: (6, 300),
}
_LOOP_ORDER = {status: index for index, status in enumerate(Status)}
_CLUSTER_STATUSES = frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.ACTION})
# In every eight tickets, one is about a safety risk and one is a core customer's quality problem, so even a
# small sample shows the most urgent grades.
_SCENARIO_EVERY = 8
_SAFETY_AT = 3
_CORE_QUALITY_AT = 6
_FOLLOWED_UP = frozenset({Status.FOLLOWED_UP, Status.CLOSED})
_SATISFACTION = (10, 9, 9, 8, 8, 8, 7, 6, 4)
_TARGET = DEFAULT_SATISFACTION_TARGET


@dataclass(frozen=True)
class _Story:
    """What a complaint is about, and (once known) why it happened and what fixed it."""

    category: str
    product: str
    description: str
    request: str
    root_cause: str
    corrective: str
    preventive: str
    safety_risk: bool = False
    affected: int = 1


@dataclass
class _Draft:
    """A sample ticket being made: its status, when it came in, who complained and about what."""

    status: Status
    received: datetime
    customer: dict[str, str]
    story: _Story
    channel: str
    duplicate_of: _Draft | None = None
    ticket_id: str = ""


def sample_tickets(language: str, count: int, now: datetime, seed: int = 0) -> list[dict[str, Any]]:
    """Return ``count`` sample tickets in ``language`` ("en" or "zh"), oldest first.

    Each ticket maps input column keys (``tickets.INPUT_KEYS``) to cell values: text in the language, whole
    numbers, and naive datetimes in the template Calendar's timezone (an aware ``now`` is converted to it, a
    naive ``now`` is taken as already in it), none later than ``now``. Statuses are labels in the language.
    Every ticket reads with no problem under ``tickets.read_row`` with the template's Lists as allowed values.
    """
    template = load_template(language)
    local_now = _local(now, ZoneInfo(template["calendar"]["timezone"]))
    rng = random.Random(seed)
    drafts = [_draft(index, template, local_now, rng) for index in range(count)]
    _gather_cluster(drafts, template, local_now, rng)
    _mark_duplicates(drafts, template, local_now, rng)
    drafts.sort(key=lambda draft: draft.received)
    _number(drafts)
    return [_ticket(draft, template, local_now, rng) for draft in drafts]


def _local(now: datetime, zone: ZoneInfo) -> datetime:
    """Return ``now`` as naive wall-clock time in ``zone``."""
    return now.astimezone(zone).replace(tzinfo=None) if now.tzinfo else now


def _draft(index: int, template: dict[str, Any], now: datetime, rng: random.Random) -> _Draft:
    """Return the ``index``-th draft: its status from the cycle, a story, a customer and a time received."""
    sample, lists = template["sample"], template["lists"]
    status = _STATUS_CYCLE[index % len(_STATUS_CYCLE)]
    scenario = index % _SCENARIO_EVERY
    safety = scenario == _SAFETY_AT
    cases = [case for case in sample["cases"] if case.get("safety_risk", False) == safety]
    customers = sample["customers"]
    if scenario == _CORE_QUALITY_AT:
        cases = [case for case in cases if case["category"] == lists["category"][0]]
        customers = [customer for customer in customers if customer["tier"] == lists["tier"][0]]
    return _Draft(
        status=status,
        received=_received(status, now, rng),
        customer=rng.choice(customers),
        story=_story(rng.choice(cases), rng),
        channel=rng.choice(lists["channel"]),
    )


def _story(case: dict[str, Any], rng: random.Random) -> _Story:
    """Return a story told by a template case: one of its products and requests, and how many it hit."""
    low, high = case.get("affected", (1, 1))
    return _Story(
        category=case["category"],
        product=rng.choice(case["products"]),
        description=case["description"],
        request=rng.choice(case["requests"]),
        root_cause=case["root_cause"],
        corrective=case["corrective"],
        preventive=case["preventive"],
        safety_risk=case.get("safety_risk", False),
        affected=rng.randint(low, high) if rng.random() < 0.5 else 1,
    )


def _received(status: Status, now: datetime, rng: random.Random) -> datetime:
    """Return when a ticket in ``status`` came in: hours before ``now`` fitting the status, mostly by day."""
    low, high = _AGE_HOURS[status]
    return _office_time(now - timedelta(hours=rng.uniform(low, high)), rng)


def _office_time(moment: datetime, rng: random.Random) -> datetime:
    """Move a night-time moment to an earlier daytime one (never later), to the minute."""
    if moment.hour < 7:
        moment = (moment - timedelta(days=1)).replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59))
    elif moment.hour >= 22:
        moment = moment.replace(hour=rng.randint(9, 20), minute=rng.randint(0, 59))
    return _to_minute(moment)


def _to_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _gather_cluster(
    drafts: list[_Draft], template: dict[str, Any], now: datetime, rng: random.Random
) -> None:
    """Turn a few open drafts into complaints about the same product and category within about three days.

    The cluster has 3 tickets (5 from 20 tickets up, reaching the cluster threshold); fewer than 6 get none. Later statuses get the
    older tickets, so a New one is always the newest.
    """
    size = 0 if len(drafts) < 6 else 3 if len(drafts) < 20 else 5
    candidates = [d for d in drafts if d.status in _CLUSTER_STATUSES and not d.story.safety_risk]
    if size == 0 or len(candidates) < size:
        return
    cluster = template["sample"]["cluster"]
    members = sorted(rng.sample(candidates, size), key=lambda draft: _LOOP_ORDER[draft.status], reverse=True)
    oldest_age = rng.uniform(60, 80)
    for position, draft in enumerate(members):
        age = oldest_age * (size - position) / size + rng.uniform(-2, 2)
        draft.received = _office_time(now - timedelta(hours=age), rng)
        draft.story = _Story(
            category=cluster["category"],
            product=cluster["product"],
            description=cluster["descriptions"][position % len(cluster["descriptions"])],
            request=rng.choice(cluster["requests"]),
            root_cause=cluster["root_cause"],
            corrective=cluster["corrective"],
            preventive=cluster["preventive"],
        )


def _mark_duplicates(
    drafts: list[_Draft], template: dict[str, Any], now: datetime, rng: random.Random
) -> None:
    """Make each Duplicate draft repeat an earlier complaint, sent again through another channel."""
    channels = template["lists"]["channel"]
    for draft in drafts:
        if draft.status is not Status.DUPLICATE:
            continue
        originals = [
            other
            for other in drafts
            if other.status is not Status.DUPLICATE and now - other.received >= timedelta(hours=2)
        ]
        if not originals:
            continue
        original = rng.choice(originals)
        room_hours = (now - original.received) / timedelta(hours=1) - 0.5
        draft.received = _to_minute(
            original.received + timedelta(hours=rng.uniform(0.5, min(48, room_hours)))
        )
        draft.customer = original.customer
        draft.story = replace(original.story)
        draft.channel = rng.choice([channel for channel in channels if channel != original.channel])
        draft.duplicate_of = original


def _number(drafts: list[_Draft]) -> None:
    """Give each draft, taken in order received, its ID: CS-<date received>-<sequence of that day>."""
    per_day: dict[str, int] = {}
    for draft in drafts:
        day = f"{draft.received:%Y%m%d}"
        per_day[day] = per_day.get(day, 0) + 1
        draft.ticket_id = f"CS-{day}-{per_day[day]:04d}"


def _ticket(draft: _Draft, template: dict[str, Any], now: datetime, rng: random.Random) -> dict[str, Any]:
    """Return the cells of a finished draft, filled as far as its status has come."""
    words, sample = template["words"], template["sample"]
    status, story = draft.status, draft.story
    first_response, resolved, follow_up = _timeline(draft, now, rng)
    ticket: dict[str, Any] = dict.fromkeys(INPUT_KEYS)
    ticket.update(
        ticket_id=draft.ticket_id,
        received=draft.received,
        channel=draft.channel,
        customer=draft.customer["name"],
        tier=draft.customer["tier"],
        contact=draft.customer["contact"],
        product=story.product,
        category=story.category,
        description=story.description,
        safety_risk=words["yes"] if story.safety_risk else words["no"],
        affected_customers=story.affected,
        request=story.request,
        status=status.label(template["language"]),
        handler=None if status is Status.NEW and rng.random() < 0.6 else rng.choice(sample["handlers"]),
        first_response=first_response,
        resolved=resolved,
        follow_up=follow_up,
        notes=_note(draft, sample, rng),
    )
    ticket.update(_findings(status, story, words, rng))
    ticket.update(_actions(draft, ticket, template, now, rng))
    return ticket


def _actions(
    draft: _Draft, ticket: dict[str, Any], template: dict[str, Any], now: datetime, rng: random.Random
) -> dict[str, Any]:
    """Return who owns the actions and by when, whether the fix was verified, and a second follow-up when a
    Closed ticket's score was low (a Closed ticket always passes Check)."""
    status = draft.status
    if ticket.get("corrective_action") is None:
        return {}
    actions: dict[str, Any] = {
        "action_owner": rng.choice(template["sample"]["handlers"]),
        "action_due": _to_minute(draft.received + timedelta(days=rng.choice((2, 3, 5)))),
    }
    if status in _FOLLOWED_UP:
        actions["fix_verified"] = template["words"]["yes"]
    follow_up, score = ticket.get("follow_up"), ticket.get("satisfaction")
    if status is Status.CLOSED and follow_up is not None and score is not None and score < _TARGET:
        second = _to_minute(follow_up + (now - follow_up) * rng.uniform(0.3, 0.7))
        if second > follow_up:
            actions["second_follow_up"] = second
        else:
            actions["satisfaction"] = _TARGET
    return actions


def _timeline(draft: _Draft, now: datetime, rng: random.Random) -> tuple[datetime | None, ...]:
    """Return (first response, resolved, follow-up) for a draft: each after the one before, none after now."""
    status, span = draft.status, now - draft.received
    first_response = resolved = follow_up = None
    if status is not Status.NEW:
        delay = timedelta(hours=rng.uniform(0.1, 0.8) if draft.story.safety_risk else rng.uniform(0.2, 5))
        first_response = _to_minute(draft.received + min(delay, span * 0.25))
    if status in DONE_STATUSES:
        resolved = _daytime(draft.received + span * rng.uniform(0.35, 0.6), first_response, now, rng)
    if resolved is not None and status in _FOLLOWED_UP:
        gap = min(timedelta(hours=rng.uniform(20, 48)), (now - resolved) * 0.8)
        follow_up = _daytime(resolved + gap, resolved, now, rng)
    return first_response, resolved, follow_up


def _daytime(moment: datetime, earliest: datetime | None, now: datetime, rng: random.Random) -> datetime:
    """Return ``moment`` moved into the working day (08:00–21:00) of its date when that stays between
    ``earliest`` and ``now``; otherwise ``moment`` itself. Resolving and calling back happen by day."""
    if moment.hour < 8:
        candidate = moment.replace(hour=rng.randint(8, 10), minute=rng.randint(0, 59))
    elif moment.hour >= 21:
        candidate = moment.replace(hour=rng.randint(17, 20), minute=rng.randint(0, 59))
    else:
        candidate = moment
    if candidate > now or (earliest is not None and candidate < earliest):
        candidate = moment
    return _to_minute(candidate)


def _findings(status: Status, story: _Story, words: dict[str, str], rng: random.Random) -> dict[str, Any]:
    """Return what the loop has found and done by ``status``: cause, actions, confirmation, satisfaction."""
    findings: dict[str, Any] = {}
    if status is Status.ACTION or status in DONE_STATUSES:
        findings.update(root_cause=story.root_cause, corrective_action=story.corrective)
    if status in DONE_STATUSES:
        findings["preventive_action"] = story.preventive
        confirmed = status in _FOLLOWED_UP or rng.random() < 0.5
        findings["customer_confirmed"] = words["yes"] if confirmed else None
    if status in _FOLLOWED_UP:
        findings["satisfaction"] = rng.choice(_SATISFACTION)
    return findings


def _note(draft: _Draft, sample: dict[str, Any], rng: random.Random) -> str | None:
    """Return the Notes cell: why a ticket waits, which ticket it duplicates, or that a case was archived."""
    if draft.status is Status.WAITING:
        return rng.choice(sample["waiting_notes"])
    if draft.status is Status.DUPLICATE and draft.duplicate_of is not None:
        return sample["duplicate_note"].format(ticket_id=draft.duplicate_of.ticket_id)
    if draft.status is Status.CLOSED and rng.random() < 0.5:
        return sample["closed_note"]
    return None
