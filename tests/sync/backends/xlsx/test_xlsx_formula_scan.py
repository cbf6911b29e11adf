"""The scan for error cells and formulas without a value finds them from literal marks instead of running the
pattern over every character: it must find exactly what the pattern finds, whatever the worksheet holds."""

from __future__ import annotations

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from sync.backends.xlsx.formulas import (
    FORMULA_OR_ERROR,
    cells_span,
    has_formulas_or_errors,
    may_hold_formulas_or_errors,
    special_cells,
)
from tickets import ErrorValue, FormulaCell

# pieces a worksheet's cells are made of, hostile ones included: formulas with and without a value, error types
# quoted either way, a namespace prefix, and text that holds the marks the scan looks for
CELL_BODIES = st.sampled_from([
    '<v>1</v>', '<f>SUM(A1:A2)</f><v>3</v>', '<f>NOW()</f>', '<f>A1</f><v></v>', '<f t="shared" si="0"/>',
    '<is><t>of "e" and :f and &lt;f</t></is>', '<is><t xml:space="preserve"> e" </t></is>', '<v>#N/A</v>',
    '<f>1/0</f><v>#DIV/0!</v>', '',
])
CELL_TYPES = st.sampled_from(['', ' t="e"', " t='e'", ' t = "e"', ' t="inlineStr"', ' t="n"', ' t="str"'])


@st.composite
def worksheets(draw) -> str:
    prefix = draw(st.sampled_from(["", "x:"]))
    cells = []
    for row in range(1, draw(st.integers(1, 4)) + 1):
        parts = []
        for column in "ABC"[: draw(st.integers(0, 3))]:
            body = draw(CELL_BODIES).replace("<f", f"<{prefix}f").replace("</f", f"</{prefix}f")
            body = body.replace("<v", f"<{prefix}v").replace("</v", f"</{prefix}v")
            kind = draw(CELL_TYPES)
            parts.append(f'<{prefix}c r="{column}{row}"{kind}>{body}</{prefix}c>' if body
                         else f'<{prefix}c r="{column}{row}"{kind}/>')
        cells.append(f'<{prefix}row r="{row}">{"".join(parts)}</{prefix}row>')
    tail = draw(st.sampled_from(["", '<dataValidations><dataValidation sqref="B2"><formula1>Lists!$A$2</formula1>'
                                     "</dataValidation></dataValidations>", "<extLst><xm:f>Lists!A1</xm:f></extLst>"]))
    return (f'<{prefix}worksheet><{prefix}sheetData>{"".join(cells)}</{prefix}sheetData>{tail}</{prefix}worksheet>')


def reference_special_cells(xml: str) -> dict:
    """The scan as the pattern alone does it (every character), to compare with."""
    from sync.backends.xlsx import formulas

    found = {}
    searched_to = 0
    for match in FORMULA_OR_ERROR.finditer(xml):
        if match.start() < searched_to:
            continue
        cell = formulas.CELL.match(xml, xml.rfind("<", 0, match.start()))
        if cell is None:
            continue
        searched_to = cell.end()
        reference = formulas.REFERENCE.search(cell.group(1))
        if reference is not None:
            kind = formulas._kind(cell.group(1), cell.group(2) or "")
            if kind is not None:
                found[(int(reference.group(2)) - 1, formulas.column_index(reference.group(1)))] = kind
    return found


@seed(20261130)
@settings(max_examples=300, deadline=None)
@given(worksheets())
def test_the_scan_finds_what_the_pattern_finds(xml):
    assert special_cells(xml) == reference_special_cells(xml)
    assert has_formulas_or_errors(xml) == (FORMULA_OR_ERROR.search(xml, *cells_span(xml)) is not None)
    assert may_hold_formulas_or_errors(xml.encode()) or not has_formulas_or_errors(xml)  # never misses one


def test_errors_and_formulas_without_a_value_are_found_among_many_plain_cells():
    plain = "".join(f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>row {row}</t></is></c></row>'
                    for row in range(1, 5000))
    xml = (f'<worksheet><sheetData>{plain}<row r="5000"><c r="A5000" t="e"><v>#REF!</v></c>'
           '<c r="B5000"><f>TODAY()</f></c></row></sheetData></worksheet>')
    assert has_formulas_or_errors(xml)
    assert special_cells(xml) == {(4999, 0): ErrorValue("#REF!"), (4999, 1): FormulaCell("TODAY()")}
    assert not has_formulas_or_errors(f"<worksheet><sheetData>{plain}</sheetData></worksheet>")
