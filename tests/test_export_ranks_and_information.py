"""The Excel export: a one-commune export gives the commune's rank among every unit the
user may see (as on the rankings page), and the figures of an information line are in
the default findings sheet."""
from __future__ import annotations

import io

import openpyxl

from inspect_app.exports import workbook, xlsx
from inspect_app.services import exports as export_service
from inspect_app.services.rankings import RankingQuery, ranking

from .support import World


def _workbook(app, store, scope, filters, **options) -> openpyxl.Workbook:
    with app.test_request_context():
        report = export_service.report(store, scope, filters, locale="vi", **options)
        out = io.BytesIO()
        xlsx.write(report, out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def test_a_one_unit_export_gives_the_units_province_rank_not_1(app, client):
    """The province inspects Xã Thiện Nghiệp (better) and Xã Nông Thượng (worse) in 2025;
    the rankings page puts Nông Thượng 2nd. The officer exports only Xã Nông Thượng's
    results (unit filter on the export form / `--unit NT`) to send them to the commune,
    and expects the summary's "Xếp hạng" to say 2, as the rankings page (README: "each
    unit ranked ... as on the rankings page"). What happened: the workbook ranked only the
    exported records, so the commune is told it ranked 1st (exports/workbook.ranked is
    fed only the filtered summaries by services/exports.report)."""
    world = World(app, client)
    worse = world.start("lead", "NT")
    world.answer("lead", worse, "1.6", value=False)
    world.finalize("lead", worse)
    better = world.start("lead", "TN")
    world.answer("lead", better, "1.6", value=True)
    world.finalize("lead", better)
    admin = world.scope("admin")
    with app.app_context():
        page = {row["unit"]: row["rank"] for row in ranking(
            world.store, admin, RankingQuery("cchc-xa", "2025", "inspection"))["rows"]}
    assert page == {"TN": 1, "NT": 2}
    book = _workbook(app, world.store, admin, workbook.Filters(units=("NT",)))
    summary = book.worksheets[0]
    headers = [c.value for c in summary[1]]
    rows = [dict(zip(headers, r)) for r in summary.iter_rows(min_row=2, values_only=True)]
    assert [r["Mã đơn vị"] for r in rows] == ["NT"]
    assert rows[0]["Xếp hạng"] == page["NT"], \
        f"Excel says rank {rows[0]['Xếp hạng']}, the rankings page says {page['NT']}"


def test_information_figures_of_a_self_check_are_in_the_default_workbook(app, client):
    """A commune officer fills the weekly one-stop self-check and enters W2 "Số hồ sơ
    tiếp nhận trong tuần" (information line: 1.234 received in person, 56 online). The
    province exports the week with the default options and expects those figures in the
    workbook (they are on the record's page and the minutes). What happened: they were in
    no sheet: info lines are left out of the score sheets (SCORE_SHEET_TYPES) and the
    default findings sheet skips them too (exports/workbook._worth_a_row), on the
    reasoning that "the score sheet already shows" them; only --all-criteria has them."""
    world = World(app, client)
    record = world.start("ua", "NT", checklist="tu-kiem-tra-mot-cua-tuan", kind="self_check",
                         period="2025-W14")
    world.answer("ua", record, "W2", inputs={"truc_tiep": 1234, "truc_tuyen": 56, "bcci": 0})
    for criterion in ("W1", "W6", "W7", "W8"):
        world.answer("ua", record, criterion, value=True, note="Có sổ theo dõi")
    world.finalize("ua", record)
    book = _workbook(app, world.store, world.scope("admin"), workbook.Filters())
    cells = [str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
             for v in row if v is not None]
    assert any("1.234" in v for v in cells), \
        "W2's figures (1.234 received in person) are nowhere in the default workbook"
    with_all = _workbook(app, world.store, world.scope("admin"), workbook.Filters(),
                         all_criteria=True)
    assert any("1.234" in str(v) for row in with_all.worksheets[2].iter_rows(values_only=True)
               for v in row if v is not None)  # they exist: only the default drops them
