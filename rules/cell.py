"""The cell language: what people write in the IF cells of a rule tab.

A friendly superset of DMN/FEEL simple unary tests, case-insensitive and trimmed (DESIGN §3):

    (blank) or -            any value
    gold   "a, b"           equals (quotes optional; quotes keep commas and force text)
    gold, platinum          one of
    not gold, platinum      none of (also not(gold, platinum); in Chinese 非 核心客户 or 非(核心客户, 重点客户))
    <10 <=10 >10 >=10 =10 !=10
    10..99  [10..100)  (1..5]  ]1..5[   ranges; a bare range includes both ends
    yes no true false 是 否   yes/no
    (empty)                 a blank value
    2026-11-01  date("2026-11-01")

``parse_cell(text)`` compiles a cell once into a ``UnaryTest`` whose ``matches(value)`` is a small closure over
precomputed sets and bounds. Values are normalized first (``normalize_value``): text is trimmed and
case-folded, datetimes become their date, yes/no become two markers that never equal a number.
A malformed cell raises ``CellSyntaxError`` with the 0-based position of the character at fault and a
message, in English and Chinese, that says how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from tickets.errors import SheetdeskError

__all__ = [
    "CellSyntaxError",
    "Literal",
    "UnaryTest",
    "ANY",
    "Flag",
    "YES",
    "NO",
    "normalize_value",
    "normalize_text",
    "parse_cell",
    "parse_literal",
    "parse_value",
]

Matcher = Callable[[object], bool]

# Full-width and Chinese punctuation typed on a Chinese keyboard, mapped one character to one character so
# that error positions still point into the text as written.
_WIDE_PUNCTUATION = str.maketrans(
    {
        "，": ",", "、": ",", "（": "(", "）": ")", "［": "[", "］": "]", "【": "[", "】": "]",
        "“": '"', "”": '"', "＂": '"', "＜": "<", "＞": ">", "＝": "=", "！": "!", "－": "-", "．": ".",
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
    }
)  # fmt: skip
_ANY_WORDS = frozenset({"", "-"})
_EMPTY_WORDS = frozenset({"(empty)", "(blank)", "(空)", "(空白)"})
_YES_WORDS = frozenset({"yes", "true", "是"})
_NO_WORDS = frozenset({"no", "false", "否"})
_OPERATORS = ("<=", ">=", "!=", "<>", "≤", "≥", "≠", "<", ">", "=")
_OPERATOR_MEANING = {"<>": "!=", "≤": "<=", "≥": ">=", "≠": "!="}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_DATE_CALL = re.compile(r"date\s*\(\s*(.*?)\s*\)", re.IGNORECASE | re.DOTALL)
_OPENING = {"[": True, "(": False, "]": False}  # bracket -> is the start included
_CLOSING = {"]": True, ")": False, "[": False}  # bracket -> is the end included


class Flag(Enum):
    """The normalized form of a yes/no value; never equal to a number, unlike Python's True and 1."""

    NO = False
    YES = True

    def __repr__(self) -> str:
        return "yes" if self.value else "no"


YES = Flag.YES
NO = Flag.NO


def normalize_value(value: object) -> object:
    """Return the form a fact is compared in: trimmed case-folded text, a number, a date, YES/NO, or None.

    Blank text is None. A datetime becomes its date (cell literals are dates). Statuses and other str
    subclasses compare by their text. Anything else compares as its text.
    """
    kind = type(value)
    if value is None or kind is int or kind is float:
        return value
    if kind is str:
        return normalize_text(value)  # type: ignore[arg-type]
    if kind is bool:
        return YES if value else NO
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date | Flag):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return " ".join(value.split()).casefold() or None
    return " ".join(str(value).split()).casefold() or None


_TEXT_CACHE: dict[str, str | None] = {}
_TEXT_CACHE_SIZE = 4096


def normalize_text(text: str) -> str | None:
    """Return ``text`` trimmed, inner spaces collapsed and case-folded; None when blank. Ticket values repeat
    (products, tiers, categories), so the answers are cached, within a bounded size."""
    cached = _TEXT_CACHE.get(text, _MISSING)
    if cached is not _MISSING:
        return cached  # type: ignore[return-value]
    normalized = " ".join(text.split()).casefold() or None
    if len(_TEXT_CACHE) >= _TEXT_CACHE_SIZE:
        _TEXT_CACHE.clear()
    _TEXT_CACHE[text] = normalized
    return normalized


_MISSING = object()

_MESSAGES: dict[str, tuple[str, str]] = {
    "unclosed_quote": (
        "the quote at character {at} is never closed — add {quote} at the end of the value",
        "第 {at} 个字符处的引号没有闭合，请在值的末尾补上 {quote}",
    ),
    "after_quote": (
        "there is more text after the closing quote at character {at} — put a comma between values",
        "第 {at} 个字符处的引号后还有内容，多个值之间请用逗号分隔",
    ),
    "stray_quote": (
        'a quote at character {at} is inside the text — put the whole value in quotes, like "{example}"',
        '第 {at} 个字符处的引号在文字中间，请把整个值放进引号，如 "{example}"',
    ),
    "empty_quotes": (
        "the quotes at character {at} hold nothing — write (empty) to match a blank cell",
        "第 {at} 个字符处的引号中没有内容，要匹配空白单元格请写 (empty)",
    ),
    "empty_item": (
        "there is no value before the comma at character {at} — remove the extra comma",
        "第 {at} 个字符处的逗号前没有值，请删除多余的逗号",
    ),
    "trailing_comma": (
        "the cell ends with a comma — remove it or add a value after it",
        "单元格以逗号结尾，请删除它或在后面补上一个值",
    ),
    "dash_in_list": (
        "- means any value and must stand alone — remove it or the other values",
        "- 表示任意值，必须单独使用，请删除它或其他值",
    ),
    "comparison_without_value": (
        "{operator} needs a value after it — write {operator}10",
        "{operator} 后面需要一个值，如 {operator}10",
    ),
    "comparison_of_range": (
        "{operator} takes one value, not a range — write {operator}{start} or just {range}",
        "{operator} 只能跟一个值，不能跟范围，请写 {operator}{start} 或直接写 {range}",
    ),
    "comparison_of_yes_no": (
        "yes/no values cannot be compared with {operator} — write yes or no",
        "是/否不能用 {operator} 比较，请直接写 是 或 否",
    ),
    "comparison_of_empty": (
        "(empty) cannot be compared with {operator} — write (empty) on its own",
        "(empty) 不能用 {operator} 比较，请单独写 (empty)",
    ),
    "range_without_start": (
        "a range needs a start — write 0..{end}, or <={end} for no lower limit",
        "范围需要起点，请写 0..{end}，没有下限时写 <={end}",
    ),
    "range_without_end": (
        "a range needs an end — write {start}..{suggestion}",
        "范围需要终点，请写 {start}..{suggestion}",
    ),
    "range_unclosed": (
        "the range opened with {bracket} at character {at} needs a closing ] or ) — write {example}",
        "第 {at} 个字符处用 {bracket} 开始的范围需要 ] 或 ) 结尾，请写 {example}",
    ),
    "range_unopened": (
        "the range closed with {bracket} at character {at} needs an opening [ or ( — write {example}",
        "第 {at} 个字符处用 {bracket} 结束的范围需要 [ 或 ( 开头，请写 {example}",
    ),
    "range_kinds": (
        "both ends of a range must be numbers, or dates, or text — {start} and {end} are not the same kind",
        "范围两端必须同为数字、日期或文字，{start} 和 {end} 不是同一类",
    ),
    "range_of_yes_no": (
        "yes/no values have no range — write yes or no",
        "是/否没有范围，请直接写 是 或 否",
    ),
    "range_backwards": (
        "the range goes from {start} down to {end} — write {end}..{start}",
        "范围从 {start} 到 {end} 是倒序的，请写 {end}..{start}",
    ),
    "brackets_without_range": (
        "brackets at character {at} are only for ranges like [1..5] — write {example}",
        "第 {at} 个字符处的括号只用于范围（如 [1..5]），请写 {example}",
    ),
    "not_without_values": (
        "not needs values after it — write not gold, platinum",
        "not 后面需要值，如 not gold, platinum",
    ),
    "not_unclosed": (
        "not( at character {at} needs a closing ) — write not({example})",
        "第 {at} 个字符处的 not( 需要 ) 结尾，请写 not({example})",
    ),
    "not_inside_list": (
        "not at character {at} must come first and applies to the whole cell — write not {example}",
        "第 {at} 个字符处的 not 必须写在最前面，作用于整个单元格，请写 not {example}",
    ),
    "bad_date": (
        "{value} is not a date — write it like 2026-11-01",
        "{value} 不是日期，请写成 2026-11-01 这样的格式",
    ),
}


class CellSyntaxError(SheetdeskError, ValueError):
    """A cell that is not in the cell language; ``position`` is the 0-based character at fault."""

    def __init__(self, text: str, position: int, code: str, **params: object) -> None:
        self.text = text
        self.position = max(0, min(position, len(text)))
        self.code = code
        self.params = {"at": self.position + 1, **params}
        english, chinese = _MESSAGES[code]
        self.problem_en = english.format(**self.params)
        self.problem_zh = chinese.format(**self.params)
        super().__init__(self.message_en)

    @property
    def message_en(self) -> str:
        return f'"{self.text}": {self.problem_en}'

    @property
    def message_zh(self) -> str:
        return f"“{self.text}”：{self.problem_zh}"

    def message(self, language: str) -> str:
        return self.message_zh if language == "zh" else self.message_en

    @property
    def pointer(self) -> str:
        """The cell text with a caret under the character at fault, for logs and the CLI."""
        return f"{self.text}\n{' ' * self.position}^"


@dataclass(frozen=True)
class Literal:
    """One value written in a cell: its kind, its normalized value, and the text as written."""

    kind: str  # "number", "text", "date" or "boolean"
    value: object
    text: str
    quoted: bool = False

    @property
    def keys(self) -> frozenset[object]:
        """The normalized values this literal equals: its value, and for unquoted numbers, dates and yes/no
        also its text, so that `10` matches a product code typed as text "10"."""
        if self.kind == "text":
            return frozenset({self.value})
        return frozenset({self.value, normalize_value(self.text)})

    @property
    def orderable(self) -> bool:
        return self.kind != "boolean"


def parse_literal(text: str, offset: int = 0, source: str | None = None) -> Literal:
    """Given one value as written (a FEEL literal or a friendly bare word), return it as a ``Literal``.

    ``offset`` and ``source`` place ``text`` inside a whole cell for error positions. Raise
    ``CellSyntaxError`` for an unclosed quote or a malformed date.
    """
    source = text if source is None else source
    stripped = text.strip()
    offset += len(text) - len(text.lstrip())
    if stripped.startswith('"'):
        content = _unquote(stripped, offset, source)
        if not content.strip():
            raise CellSyntaxError(source, offset, "empty_quotes")
        return Literal("text", normalize_value(content), content, True)
    call = _DATE_CALL.fullmatch(stripped)
    if call:
        inner = call.group(1)
        inner = inner[1:-1] if len(inner) >= 2 and inner[0] == inner[-1] == '"' else inner
        return Literal("date", _read_date(inner, offset, source), stripped)
    folded = stripped.casefold()
    if folded in _YES_WORDS or folded in _NO_WORDS:
        return Literal("boolean", YES if folded in _YES_WORDS else NO, stripped)
    if _NUMBER.fullmatch(stripped):
        number = float(stripped) if "." in stripped else int(stripped)
        return Literal("number", number, stripped)
    if _DATE.fullmatch(stripped):
        return Literal("date", _read_date(stripped, offset, source), stripped)
    if '"' in stripped:
        position = offset + stripped.index('"')
        raise CellSyntaxError(source, position, "stray_quote", example=stripped.replace('"', ""))
    return Literal("text", normalize_value(stripped), stripped)


def parse_value(text: object) -> object:
    """Given an output cell (a FEEL literal or a bare word), return its Python value as written: text keeps its
    case, numbers become int or float, true/false become bool, dates become dates; blank is None."""
    if not isinstance(text, str):
        return text
    if not text.strip():
        return None
    literal = parse_literal(text)
    if literal.kind == "text":
        return literal.text
    if literal.kind == "boolean":
        return literal.value is YES
    return literal.value


def _unquote(text: str, offset: int, source: str) -> str:
    closing = text.find('"', 1)
    if closing == -1:
        raise CellSyntaxError(source, offset, "unclosed_quote", quote='"')
    if closing != len(text) - 1:
        raise CellSyntaxError(source, offset + closing, "after_quote")
    return text[1:closing]


def _read_date(text: str, offset: int, source: str) -> date:
    match = _DATE.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError(text)
        return date(*(int(group) for group in match.groups()))
    except ValueError:
        raise CellSyntaxError(source, offset, "bad_date", value=text.strip()) from None


# --- the parts of a cell -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Equal:
    """`gold`, `=gold`: the value equals the literal."""

    literal: Literal

    @property
    def keys(self) -> frozenset[object]:
        return self.literal.keys

    def literals(self) -> Iterator[Literal]:
        yield self.literal


@dataclass(frozen=True)
class Empty:
    """`(empty)`: the value is blank."""

    @property
    def keys(self) -> frozenset[object]:
        return frozenset({None})

    def literals(self) -> Iterator[Literal]:
        return iter(())


@dataclass(frozen=True)
class NotEqual:
    """`!=gold`: the value differs from the literal (a blank value differs from everything)."""

    literal: Literal

    def compile(self) -> Matcher:
        keys = self.literal.keys
        return lambda value: value not in keys

    def literals(self) -> Iterator[Literal]:
        yield self.literal


@dataclass(frozen=True)
class Compare:
    """`<10`, `>=2026-11-01`, `<"b"`: the value is of the literal's kind and on the right side of it."""

    operator: str  # one of < <= > >=
    literal: Literal

    def compile(self) -> Matcher:
        bound, kinds = self.literal.value, _KIND_TYPES[self.literal.kind]
        if self.operator == "<":
            return lambda value: type(value) in kinds and value < bound  # type: ignore[operator]
        if self.operator == "<=":
            return lambda value: type(value) in kinds and value <= bound  # type: ignore[operator]
        if self.operator == ">":
            return lambda value: type(value) in kinds and value > bound  # type: ignore[operator]
        return lambda value: type(value) in kinds and value >= bound  # type: ignore[operator]

    def literals(self) -> Iterator[Literal]:
        yield self.literal


@dataclass(frozen=True)
class Range:
    """`[10..100)`: the value is of the ends' kind and between them; each end included or not."""

    start: Literal
    end: Literal
    start_included: bool = True
    end_included: bool = True

    def compile(self) -> Matcher:
        low, high, kinds = self.start.value, self.end.value, _KIND_TYPES[self.start.kind]
        if self.start_included and self.end_included:
            return lambda value: type(value) in kinds and low <= value <= high  # type: ignore[operator]
        if self.start_included:
            return lambda value: type(value) in kinds and low <= value < high  # type: ignore[operator]
        if self.end_included:
            return lambda value: type(value) in kinds and low < value <= high  # type: ignore[operator]
        return lambda value: type(value) in kinds and low < value < high  # type: ignore[operator]

    def literals(self) -> Iterator[Literal]:
        yield self.start
        yield self.end


_KIND_TYPES: dict[str, tuple[type, ...]] = {"number": (int, float), "text": (str,), "date": (date,)}

Item = Equal | Empty | NotEqual | Compare | Range


def _always(value: object) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class UnaryTest:
    """A compiled cell. ``matches(value)`` takes a raw fact; ``matches_normalized`` one already passed through
    ``normalize_value`` (the decision table normalizes each fact once for all its rules)."""

    text: str
    items: tuple[Item, ...] = ()  # empty: any value
    negated: bool = False
    matches_normalized: Matcher = field(default=_always, repr=False)

    def matches(self, value: object) -> bool:
        return self.matches_normalized(normalize_value(value))

    @property
    def is_any(self) -> bool:
        return not self.items

    @property
    def equality_keys(self) -> frozenset[object] | None:
        """For a plain one-of list (`gold, platinum`, `(empty)`), the normalized values it matches, else None."""
        if self.negated or not self.items or not all(isinstance(item, Equal | Empty) for item in self.items):
            return None
        return frozenset().union(*(item.keys for item in self.items))  # type: ignore[union-attr]

    def literals(self) -> Iterator[Literal]:
        """Every value written in the cell, for checks against the Lists tab."""
        for item in self.items:
            yield from item.literals()

    def map_text(self, translate: Callable[[str], str | None]) -> UnaryTest:
        """Return this test with each text literal replaced by ``translate(literal text)`` when that is not
        None — e.g. a Chinese status name by its English one — compiled afresh."""
        items = tuple(_map_item(item, translate) for item in self.items)
        return _build(self.text, items, self.negated)


def _map_item(item: Item, translate: Callable[[str], str | None]) -> Item:
    if isinstance(item, Equal | NotEqual | Compare):
        return replace(item, literal=_map_literal(item.literal, translate))
    if isinstance(item, Range):
        return replace(item, start=_map_literal(item.start, translate), end=_map_literal(item.end, translate))
    return item


def _map_literal(literal: Literal, translate: Callable[[str], str | None]) -> Literal:
    if literal.kind != "text":
        return literal
    translated = translate(literal.text)
    return (
        literal
        if translated is None
        else Literal("text", normalize_value(translated), translated, literal.quoted)
    )


ANY = UnaryTest("")


def _build(text: str, items: tuple[Item, ...], negated: bool) -> UnaryTest:
    return UnaryTest(text, items, negated, _compile(items, negated))


def _compile(items: tuple[Item, ...], negated: bool) -> Matcher:
    """Fold the items into one closure: one set lookup for all equalities, then the comparisons and ranges."""
    if not items:
        return _always
    keys = frozenset().union(*(item.keys for item in items if isinstance(item, Equal | Empty)))
    others = tuple(item.compile() for item in items if not isinstance(item, Equal | Empty))
    if not others:
        positive: Matcher = keys.__contains__
    elif not keys and len(others) == 1:
        positive = others[0]
    else:
        positive = _either(keys, others)
    if negated:
        return lambda value: not positive(value)
    return positive


def _either(keys: frozenset[object], others: tuple[Matcher, ...]) -> Matcher:
    def matches(value: object) -> bool:
        if value in keys:
            return True
        for other in others:
            if other(value):
                return True
        return False

    return matches


# --- parsing -------------------------------------------------------------------------------------------------


def parse_cell(text: object) -> UnaryTest:
    """Given the text of an IF cell, return its compiled test. Raise ``CellSyntaxError`` if it is malformed.

    A non-text cell value (a number or date typed into the sheet) is read as its text.
    """
    source = _cell_text(text)
    written = source.translate(_WIDE_PUNCTUATION)
    stripped = written.strip()
    if stripped in _ANY_WORDS:
        return ANY
    start = len(written) - len(written.lstrip())
    negated, body, body_offset = _split_not(written, start, source)
    return _build(source, _parse_list(body, body_offset, source), negated)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return str(value)


_NEGATIONS = ("not", "非")  # `非 核心客户` = `not 核心客户`; `非洲` (a word) is a plain value, as `nothing` is


def _split_not(written: str, start: int, source: str) -> tuple[bool, str, int]:
    """Return whether the cell starts with `not` (or `非`), and the list after it with its offset.

    `not(a, b)` is a call: the list is inside the parentheses. After `not ` and a space the rest is the list,
    so `not (1..5)` is an open range and `not (empty), gold` a list; only if that does not read is
    `not (a, b)` taken as a call.
    """
    word = next((word for word in _NEGATIONS if written.casefold().startswith(word, start)), None)
    if word is None:
        return False, written, 0
    after = start + len(word)
    rest = written[after:]
    if rest.strip().casefold() in _EMPTY_WORDS:
        return True, rest, after
    if rest.startswith("("):
        return _split_not_call(written, after, source)
    if rest and not rest[0].isspace():
        return False, written, 0  # a word such as "nothing" or "notebook"
    if not rest.strip():
        raise CellSyntaxError(source, start, "not_without_values")
    if rest.lstrip().startswith("(") and written.rstrip().endswith(")"):
        try:
            _parse_list(rest, after, source)
        except CellSyntaxError:
            return _split_not_call(written, after + len(rest) - len(rest.lstrip()), source)
    return True, rest, after


def _split_not_call(written: str, opening: int, source: str) -> tuple[bool, str, int]:
    closing = len(written.rstrip()) - 1
    if written[closing] != ")" or closing == opening:
        example = written[opening + 1 :].strip() or "gold"
        raise CellSyntaxError(source, opening, "not_unclosed", example=example)
    body = written[opening + 1 : closing]
    if not body.strip():
        raise CellSyntaxError(source, opening, "not_without_values")
    return True, body, opening + 1


def _parse_list(body: str, offset: int, source: str) -> tuple[Item, ...]:
    return tuple(
        _parse_item(part, part_offset, source) for part, part_offset in _split_items(body, offset, source)
    )


def _split_items(body: str, offset: int, source: str) -> Iterator[tuple[str, int]]:
    """Yield each comma-separated part of ``body`` with its offset in the cell; commas inside quotes stay."""
    part_start = 0
    quoted = False
    for index, character in enumerate(body):
        if character == '"':
            quoted = not quoted
        elif character == "," and not quoted:
            yield _checked_part(body[part_start:index], offset + part_start, offset + index, source)
            part_start = index + 1
    last = body[part_start:]
    if not last.strip() and part_start:
        raise CellSyntaxError(source, offset + part_start - 1, "trailing_comma")
    yield last, offset + part_start


def _checked_part(part: str, offset: int, comma: int, source: str) -> tuple[str, int]:
    if not part.strip():
        raise CellSyntaxError(source, comma, "empty_item")
    return part, offset


def _parse_item(part: str, offset: int, source: str) -> Item:
    stripped = part.strip()
    offset += len(part) - len(part.lstrip())
    folded = stripped.casefold()
    if folded in _EMPTY_WORDS:
        return Empty()
    if stripped == "-":
        raise CellSyntaxError(source, offset, "dash_in_list")
    if folded.startswith("not") and (len(folded) == 3 or folded[3] in " ("):
        example = stripped[3:].strip(" ()") or "gold"
        raise CellSyntaxError(source, offset, "not_inside_list", example=example)
    operator = next((op for op in _OPERATORS if stripped.startswith(op)), None)
    if operator is not None:
        return _parse_comparison(operator, stripped, offset, source)
    if ".." in _outside_quotes(stripped):
        return _parse_range(stripped, offset, source)
    if stripped[0] in "[](":
        raise CellSyntaxError(
            source, offset, "brackets_without_range", example=stripped.strip("[]()") or "gold"
        )
    return Equal(parse_literal(stripped, offset, source))


def _outside_quotes(text: str) -> str:
    """Return ``text`` with quoted parts blanked out, so `..` or brackets inside quotes are not syntax."""
    return re.sub(r'"[^"]*"?', lambda match: " " * len(match.group(0)), text)


def _parse_comparison(operator: str, stripped: str, offset: int, source: str) -> Item:
    meaning = _OPERATOR_MEANING.get(operator, operator)
    rest = stripped[len(operator) :]
    if not rest.strip():
        raise CellSyntaxError(source, offset, "comparison_without_value", operator=meaning)
    rest_offset = offset + len(operator)
    if ".." in _outside_quotes(rest):
        range_item = _parse_range(rest.strip(), rest_offset + len(rest) - len(rest.lstrip()), source)
        raise CellSyntaxError(
            source,
            offset,
            "comparison_of_range",
            operator=meaning,
            start=range_item.start.text,
            range=rest.strip(),
        )
    if rest.strip().casefold() in _EMPTY_WORDS:
        if meaning == "=":
            return Empty()
        raise CellSyntaxError(source, offset, "comparison_of_empty", operator=meaning)
    literal = parse_literal(rest, rest_offset, source)
    if meaning == "=":
        return Equal(literal)
    if meaning == "!=":
        return NotEqual(literal)
    if not literal.orderable:
        raise CellSyntaxError(source, offset, "comparison_of_yes_no", operator=meaning)
    return Compare(meaning, literal)


def _parse_range(stripped: str, offset: int, source: str) -> Range:
    start_included, end_included = True, True
    first, last = 0, len(stripped)
    if stripped[0] in _OPENING:
        start_included, first = _OPENING[stripped[0]], 1
    if _ends_with_bracket(stripped[first:]):
        end_included, last = _CLOSING[stripped[-1]], len(stripped) - 1
    _check_brackets(stripped, offset, source, opened=first == 1, closed=last < len(stripped))
    inner = stripped[first:last]
    separator = _outside_quotes(inner).index("..")
    start_text, end_text = inner[:separator], inner[separator + 2 :]
    start_offset, end_offset = offset + first, offset + first + separator + 2
    if not start_text.strip():
        raise CellSyntaxError(
            source, offset + first + separator, "range_without_start", end=end_text.strip() or "99"
        )
    if not end_text.strip():
        start = parse_literal(start_text, start_offset, source)
        raise CellSyntaxError(
            source, end_offset, "range_without_end", start=start.text, suggestion=_suggest_end(start)
        )
    start = parse_literal(start_text, start_offset, source)
    end = parse_literal(end_text, end_offset, source)
    _check_range_ends(start, end, start_offset, source)
    return Range(start, end, start_included, end_included)


def _ends_with_bracket(text: str) -> bool:
    """Whether the last character closes the range, rather than a `date(...)` call or a quote."""
    visible = _outside_quotes(text)
    if visible[-1] in "][":
        return True
    return visible[-1] == ")" and visible.count(")") > visible.count("(")


def _check_brackets(stripped: str, offset: int, source: str, opened: bool, closed: bool) -> None:
    if opened and not closed:
        example = f"{stripped}{']' if stripped[0] == '[' else ')'}"
        raise CellSyntaxError(source, offset, "range_unclosed", bracket=stripped[0], example=example)
    if closed and not opened:
        example = f"{'[' if stripped[-1] == ']' else '('}{stripped}"
        raise CellSyntaxError(
            source, offset + len(stripped) - 1, "range_unopened", bracket=stripped[-1], example=example
        )


def _check_range_ends(start: Literal, end: Literal, offset: int, source: str) -> None:
    if start.kind == "boolean" or end.kind == "boolean":
        raise CellSyntaxError(source, offset, "range_of_yes_no")
    if start.kind != end.kind:
        raise CellSyntaxError(source, offset, "range_kinds", start=start.text, end=end.text)
    if start.value > end.value:  # type: ignore[operator]
        raise CellSyntaxError(source, offset, "range_backwards", start=start.text, end=end.text)


def _suggest_end(start: Literal) -> str:
    """Suggest a plausible end for a range that lacks one: 10.. -> 99, 5.. -> 49, a date -> its year's end."""
    if start.kind == "number":
        number = start.value
        return str(max(int(number) * 10 - 1, int(number) + 10))  # type: ignore[call-overload]
    if start.kind == "date":
        return f"{start.value.year}-12-31"  # type: ignore[attr-defined]
    return '"z"'
