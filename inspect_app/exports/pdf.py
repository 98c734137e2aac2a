"""The minutes and the remediation plan as PDF files made on the server (issue 15 point 3).

Built with fpdf2 (pure Python, LGPL-3.0, embeds a subset of a TrueType font) from the
same content as the print pages: the dicts of :func:`.documents.minutes_content` and
:func:`.documents.plan_content`; nothing is computed here. The font is the bundled
Liberation Serif 2 (``static/fonts``), metric-compatible with Times New Roman and
complete for Vietnamese, so the file looks the same on every machine; signs it lacks that
people type in notes (✓ ☑ ① ★) come from the bundled DejaVu Sans, and a character neither
font has (an emoji) is printed as □ rather than left out without a word. Layout of NĐ
30/2020: A4, margins 20/15/20/30 mm, 13 pt; the plan's appendix on landscape pages with
its header row repeated on every page.

Long texts (a finding may hold 4.000 characters) are wrapped here, once, word by word
with widths measured once per word (:meth:`Document.wrap`), and each line printed as
one; fpdf2's own line breaker (``multi_cell``, ``table``) measures the whole line again
for every character, and a plan of 80 long items took more than the 60 s of a request.
"""
from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Any, NamedTuple

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.line_break import Fragment, TextLine

from . import qr

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DocSerif"
_STYLES = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}
LINE = 6.0  # mm per line of 13 pt text
MOTTO_STATE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
FALLBACK = "DocSigns"  # DejaVu Sans: the signs Liberation Serif has no glyph for
FALLBACK_FILE = "DejaVuSans.ttf"
MISSING = "\u25a1"  # □, printed for a character no bundled font has


@functools.cache
def _printable() -> frozenset[int]:
    """The code points the document's fonts can print (read once per process)."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency

    points: set[int] = set()
    for name in ("LiberationSerif-Regular.ttf", FALLBACK_FILE):
        with TTFont(str(FONT_DIR / name), lazy=True) as font:
            points.update(font.getBestCmap())
    return frozenset(points)


def _shown(ch: str, known: frozenset[int]) -> str:
    if ch == "\n":
        return ch
    if unicodedata.category(ch) == "Cc" or (ch.isspace() and ord(ch) not in known):
        return " "  # a tab, a carriage return: fpdf2 would print nothing, gluing the words
    return ch if ord(ch) in known else MISSING


def printable(text: str) -> str:
    """``text`` with every character the fonts cannot print as □, line breaks kept, and
    a tab or another control character (or a space the fonts lack) as a space: never
    left out, so that "a\\tb" is not printed "ab"."""
    known = _printable()
    if all(ord(ch) in known and ch >= " " and not "\x7f" <= ch <= "\x9f" or ch == "\n"
           for ch in text):
        return text
    return "".join(_shown(ch, known) for ch in text)


class Line(NamedTuple):
    """A line of wrapped text: its (normalized) text, its width in mm, and whether it
    ends its paragraph (such a line is not justified)."""
    text: str
    width: float
    last: bool


class Document(FPDF):
    """An A4 document with the decree's margins and the bundled font."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, name in _STYLES.items():
            self.add_font(FONT, style, str(FONT_DIR / f"LiberationSerif-{name}.ttf"))
        self.add_font(FALLBACK, "", str(FONT_DIR / FALLBACK_FILE))
        self.set_fallback_fonts([FALLBACK], exact_match=False)  # bold or not, the sign shows
        self.set_margins(30, 20, 15)
        self.set_auto_page_break(True, margin=20)
        self.set_font(FONT, "", 13)
        self.set_creator("inspect_app")
        self._word_widths: dict[tuple[str, float, str], float] = {}
        self._glyphs: dict[str, frozenset[str]] = {}

    def normalize_text(self, text: str) -> str:
        """fpdf2 passes every text it writes through here: what no font can print
        becomes □ (fpdf2 itself would leave it out)."""
        return super().normalize_text(printable(text))

    def footer(self) -> None:
        if self.page_no() > 1:
            self.set_y(-14)
            self.set_font(FONT, "", 10)
            self.cell(0, 5, str(self.page_no()), align="C")

    # ---------------------------------------------------------------- pieces
    def para(self, text: str, *, style: str = "", size: float = 13, indent: bool = True,
             align: str = "J") -> None:
        self.set_font(FONT, style, size)
        if indent:
            text = "\u2003\u2003" + text  # the first-line indent of 10 mm, near enough
        self.text_block(text, align)
        self.ln(1)

    def heading(self, text: str, *, indent: bool = False) -> None:
        if self.will_page_break(LINE * 3):
            self.add_page(same=True)
        self.ln(1)
        self.para(text, style="B", indent=indent, align="L")

    def items(self, texts: list[str], *, numbered: bool = True, mark: str = "-",
              start: int = 1, align: str = "J") -> None:
        self.set_font(FONT, "", 13)
        for n, text in enumerate(texts, start):
            label = f"{n}." if numbered else mark
            self.set_x(self.l_margin + 10)
            self.text_block(f"{label} {text}", align)
        self.ln(1)

    # ---------------------------------------------------------------- text layout
    def _width(self, word: str) -> float:
        """The printed width of ``word`` (normalized) in the current font, measured once
        per font, size and word."""
        key = (self.current_font.fontkey, self.font_size_pt, word)
        width = self._word_widths.get(key)
        if width is None:
            width = self._word_widths[key] = self.get_string_width(word, normalized=True)
        return width

    def wrap(self, text: str, width: float) -> list[Line]:
        """``text`` broken into lines of at most ``width`` mm in the current font, as
        fpdf2's ``multi_cell`` breaks it: at the last space that fits, a word wider than
        the line at the last character that fits, every "\\n" a break. Linear in the
        text: each word is measured once (:meth:`_width`), a line's width is a running
        sum."""
        text = self.normalize_text(text)
        space = self._width(" ")
        limit = width + 1e-6  # fpdf2's FloatTolerance
        lines: list[Line] = []
        for paragraph in text.split("\n"):
            line: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                need = self._width(word)
                if line and used + space + need <= limit:
                    line.append(word)
                    used += space + need
                    continue
                if line:
                    lines.append(Line(" ".join(line), used, False))
                while need > limit and len(word) > 1:  # no space to break at: cut the word
                    cut, taken = 0, 0.0
                    while cut < len(word) - 1:
                        step = self._width(word[cut])
                        if cut and taken + step > limit:
                            break
                        cut, taken = cut + 1, taken + step
                    lines.append(Line(word[:cut], taken, True))
                    word = word[cut:]
                    need = self._width(word)
                line, used = [word], need
            lines.append(Line(" ".join(line), used, True))
        return lines

    def print_line(self, line: Line, x: float, width: float, height: float,
                   align: str) -> None:
        """One line of :meth:`wrap` (no wider than ``width``) at ``x`` and the current
        y, page break included, as ``multi_cell`` prints it; "J" spreads the spaces of a
        line that does not end its paragraph."""
        align = Align.coerce(align)
        if align == Align.J and line.last:
            align = Align.L
        self.set_x(x - self.c_margin)
        self._render_styled_text_line(  # what cell() and multi_cell() print a line with
            TextLine(self._fragments(line.text), text_width=line.width,
                     number_of_spaces=line.text.count(" ") if align == Align.J else 0,
                     align=align, height=height, max_width=width + 2 * self.c_margin),
            height, new_x=XPos.LEFT, new_y=YPos.NEXT)

    def _fragments(self, text: str) -> tuple[Fragment, ...]:
        """``text`` as fpdf2's fragments: one in the current font when it has every
        character (what fpdf2 makes of it, without looking at each character in Python
        for a fallback), otherwise fpdf2's own split (the signs from DejaVu Sans)."""
        font = self.current_font
        glyphs = self._glyphs.get(font.fontkey)
        if glyphs is None:
            glyphs = self._glyphs[font.fontkey] = frozenset(map(chr, font.cmap))
        if not text or self.str_alias_nb_pages in text or not glyphs.issuperset(text):
            return tuple(self._preload_font_styles(text, False))
        return (Fragment(text, self._get_current_graphics_state(), self.k),)

    def text_block(self, text: str, align: str) -> None:
        """``text`` from the current x to the right margin, ``LINE`` apart, wrapped by
        :meth:`wrap` (what ``multi_cell(0, LINE, text, align=align)`` printed); then the
        left margin of the next line."""
        x = self.x + self.c_margin
        width = self.w - self.r_margin - self.x - 2 * self.c_margin
        for line in self.wrap(text, width):
            self.print_line(line, x, width, LINE, align)
        self.set_x(self.l_margin)

    def header_block(self, h: dict[str, str]) -> None:
        width = self.w - self.l_margin - self.r_margin
        left, right = width * 0.38, width * 0.62
        top = self.get_y()
        x = self.l_margin
        self.set_xy(x, top)
        if h.get("top"):
            self.set_font(FONT, "", 12.5)
            self.multi_cell(left, 5.5, h["top"], align="C", new_x="LEFT", new_y="NEXT")
        self.set_font(FONT, "B", 12.5)
        self.multi_cell(left, 5.5, h["main"], align="C", new_x="LEFT", new_y="NEXT")
        rule_y = self.get_y() + 0.5
        self.line(x + left * 0.35, rule_y, x + left * 0.65, rule_y)
        left_end = rule_y
        self.set_xy(x + left, top)
        self.set_font(FONT, "B", 12.5)
        self.multi_cell(right, 5.5, MOTTO_STATE, align="C", new_x="LEFT", new_y="NEXT")
        self.set_font(FONT, "B", 13.5)
        self.multi_cell(right, 6, MOTTO, align="C", new_x="LEFT", new_y="NEXT")
        motto_width = self.get_string_width(MOTTO)
        rule = self.get_y() + 0.3
        centre = x + left + right / 2
        self.line(centre - motto_width / 2, rule, centre + motto_width / 2, rule)
        y = max(left_end, rule) + 3
        self.set_xy(x, y)
        self.set_font(FONT, "", 13)
        self.multi_cell(left, LINE, f"Số: {h['number']}", align="C", new_x="RIGHT",
                        new_y="TOP")
        self.set_font(FONT, "I", 13)
        self.multi_cell(right, LINE, f"{h['place']}, {h['date']}", align="C",
                        new_x="LMARGIN", new_y="NEXT")
        self.ln(5)

    def doc_title(self, title: str, subject: str) -> None:
        self.set_font(FONT, "B", 14)
        self.multi_cell(0, 6.5, title, align="C", new_x="LMARGIN", new_y="NEXT")
        self.multi_cell(0, 6.5, subject, align="C", new_x="LMARGIN", new_y="NEXT")
        width = (self.w - self.l_margin - self.r_margin) * 0.3
        centre = self.l_margin + (self.w - self.l_margin - self.r_margin) / 2
        self.line(centre - width / 2, self.get_y() + 1, centre + width / 2, self.get_y() + 1)
        self.ln(5)

    def draft(self, doc: dict[str, Any]) -> None:
        if not doc.get("draft"):
            return
        text = "DỰ THẢO"
        if doc.get("preview_items"):
            text += " — danh mục tồn tại, hạn chế tạm tính theo kết quả chấm hiện tại"
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 6, text, border=1, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def grid(self, headings: list[str], rows: list[list[str]], widths: list[float], *,
             size: float = 12, align: tuple[str, ...] | None = None,
             numbered: bool = False) -> None:
        """A bordered table across the text width (``widths`` in proportion) whose header
        row repeats on every page; cells wrap (:meth:`wrap`, each cell measured once) and
        sit in the middle of their row. ``numbered``: under the headings a row of column
        numbers "(1) (2) …", repeated with them (the form of the plan's appendix, as the
        print view has it). A row taller than half a page goes on in the rows below it,
        each long cell continued there (a row never continues on the next page)."""
        total = self.w - self.l_margin - self.r_margin
        columns = [total * width / sum(widths) for width in widths]
        line = size * 0.45
        room = max(1, int((self.h - self.t_margin - self.b_margin) / 2 / line))
        self.set_font(FONT, "B", size)
        head = [self._cells(headings, columns)]
        if numbered:
            head.append(self._cells([f"({n})" for n in range(1, len(headings) + 1)], columns))
        self.set_font(FONT, "", size)
        aligns = [a[0] for a in align or ("LEFT",) * len(headings)]
        body = []
        for values in rows:
            cells = self._cells(values, columns)
            parts = -(-max(len(lines) for lines in cells) // room)
            body += [[lines[n * room:(n + 1) * room] for lines in cells] for n in range(parts)]
        heading_height = sum(self._row_height(cells, line) for cells in head)
        for n, cells in enumerate(body):
            height = self._row_height(cells, line)
            if n == 0 or self.will_page_break(height):
                if n or self.will_page_break(heading_height + height):
                    self.add_page(same=True)
                self.set_font(FONT, "B", size)
                for cells_of_head in head:
                    self._grid_row(cells_of_head, columns, line, ["C"] * len(columns))
                self.set_font(FONT, "", size)
            self._grid_row(cells, columns, line, aligns)
        self.set_x(self.l_margin)
        self.ln(2)

    def _cells(self, values: list[str], columns: list[float]) -> list[list[Line]]:
        """Each value wrapped to its column less the padding of 1 mm on each side."""
        return [self.wrap(text or "", width - 2) for text, width in zip(values, columns)]

    @staticmethod
    def _row_height(cells: list[list[Line]], line: float) -> float:
        return max(len(lines) for lines in cells) * line + 2

    def _grid_row(self, cells: list[list[Line]], columns: list[float],
                  line: float, aligns: list[str]) -> None:
        """One row at the current y: every cell framed, its lines in the middle."""
        top, height = self.get_y(), self._row_height(cells, line)
        x = self.l_margin
        for lines, width, align in zip(cells, columns, aligns):
            self.rect(x, top, width, height)
            self.set_y(top + (height - len(lines) * line) / 2)
            for text in lines:
                self.print_line(text, x + 1, width - 2, line, align)
            x += width
        self.set_xy(self.l_margin, top + height)

    def qr_code(self, q: dict[str, str]) -> None:
        size = 24.0
        if self.will_page_break(size + 4):
            self.add_page(same=True)
        self.ln(4)
        modules = qr.matrix(q["url"])
        step = size / len(modules)
        x0, y0 = self.l_margin, self.get_y()
        self.set_fill_color(0, 0, 0)
        for r, line in enumerate(modules):
            for c, dark in enumerate(line):
                if dark:
                    self.rect(x0 + c * step, y0 + r * step, step, step, style="F")
        self.set_xy(x0 + size + 4, y0 + 6)
        self.set_font(FONT, "I", 10.5)
        self.multi_cell(0, 4.5, q["caption"], new_x="LEFT", new_y="NEXT")
        self.set_font(FONT, "", 9)
        self.multi_cell(0, 4.5, q["url"], new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), y0 + size) + 2)

    def signatures(self, blocks: list[tuple[str, str, str]]) -> None:
        """Signature blocks side by side: (role, hint, name)."""
        if self.will_page_break(45):
            self.add_page(same=True)
        width = (self.w - self.l_margin - self.r_margin) / len(blocks)
        top = self.get_y() + 4
        for n, (role, hint, name) in enumerate(blocks):
            x = self.l_margin + n * width
            self.set_xy(x, top)
            self.set_font(FONT, "B", 13)
            self.multi_cell(width, LINE, role, align="C", new_x="LEFT", new_y="NEXT")
            self.set_font(FONT, "I", 12)
            self.multi_cell(width, LINE, hint, align="C", new_x="LEFT", new_y="NEXT")
            self.set_xy(x, top + 36)
            self.set_font(FONT, "B", 13)
            self.multi_cell(width, LINE, name, align="C", new_x="LEFT", new_y="NEXT")
        self.set_xy(self.l_margin, top + 36 + LINE + 2)


def _finish(pdf: Document, title: str) -> bytes:
    pdf.set_title(title)
    return bytes(pdf.output())


# ---------------------------------------------------------------- the minutes

def minutes_pdf(doc: dict[str, Any]) -> bytes:
    """The minutes (biên bản kiểm tra / tự kiểm tra) from :func:`minutes_content`."""
    pdf = Document()
    pdf.add_page()
    pdf.draft(doc)
    pdf.header_block(doc["header"])
    pdf.doc_title(doc["title"], doc["subject"])
    self_check = doc["is_self_check"]
    if not self_check:
        pdf.para(f"Căn cứ Kế hoạch số ……/KH-…… ngày …… của …… về kiểm tra công tác cải cách "
                 f"hành chính {doc['period']};")
    who = (f"{doc['committee']} tiến hành tự kiểm tra" if self_check else
           f"Đoàn kiểm tra công tác cải cách hành chính của {doc['inspecting_body']} tiến "
           f"hành kiểm tra")
    pdf.para(f"Hôm nay, vào hồi …… giờ …… {doc['long_date']}, tại {doc['committee']}, {who} "
             f"công tác cải cách hành chính {doc['period']} tại {doc['unit_text']} theo bộ "
             f"tiêu chí “{doc['checklist_title']}” (phiên bản {doc['checklist_version']}).")

    pdf.heading("I. THÀNH PHẦN")
    pdf.heading("1. " + ("Thành phần tự kiểm tra" if self_check else "Đoàn kiểm tra"),
                indent=True)
    pdf.items([f"{m['name']}{', ' + m['position'] if m['position'] else ''} — {m['role']};"
               for m in doc["team"]])
    if not self_check:
        pdf.heading(f"2. Đại diện {doc['committee']}", indent=True)
        people = [f"{p['name']}{', ' + p['position'] if p['position'] else ''};"
                  for p in doc["representatives"]]
        pdf.items(people)
        pdf.items(["Ông/Bà …………………………………, chức vụ …………………………………;"] * 2,
                  start=len(people) + 1, align="L")

    r = doc["results"]
    pdf.heading("II. KẾT QUẢ KIỂM TRA")
    pdf.heading("1. Kết quả chấm điểm theo lĩnh vực", indent=True)
    rows = [[s["number"], s["title"], s["max"], s["points"], s["percent"]] for s in r["summary"]]
    rows.append(["", "Tổng cộng", r["max"], r["total"], ""])
    if r["bonus"]:
        rows.append(["", "Điểm thưởng", "", "+" + r["bonus"], ""])
    if r["penalty"]:
        rows.append(["", "Điểm trừ", "", "−" + r["penalty"], ""])
    rows.append(["", "Tỷ lệ đạt" + (f" — xếp loại: {r['band']}" if r["band"] else ""), "", "",
                 r["percent"]])
    pdf.grid(["TT", "Lĩnh vực", "Điểm tối đa", "Điểm đạt", "Tỷ lệ"], rows,
             [12, 90, 21, 21, 21], align=("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT"))
    pdf.para(f"Kết quả: đạt {r['total']}/{r['max']} điểm"
             + (f", điểm thưởng {r['bonus']}" if r["bonus"] else "")
             + (f", điểm trừ {r['penalty']}" if r["penalty"] else "")
             + f"; tỷ lệ {r['percent']}" + (f"; xếp loại {r['band']}" if r["band"] else "") + ".")

    pdf.heading("2. Kết quả chấm điểm theo tiêu chí", indent=True)
    own = "Điểm chấm" if self_check else "Điểm của Đoàn"
    headings = ["Tiêu chí", "Nội dung", "Điểm tối đa"] + (["Điểm tự chấm"] if r["has_self"]
                                                         else []) + [own]
    rows = []
    for s in r["detail"]:
        rows.append(["", (f"{s['number']}. " if s["number"] else "") + s["title"], ""]
                    + ([""] if r["has_self"] else []) + [""])
        for row in s["rows"]:
            rows.append([row["id"], row["text"], row["max"]]
                        + ([row["self"]] if r["has_self"] else []) + [row["points"]])
    widths = [15, 86, 21, 21, 22] if r["has_self"] else [15, 107, 21, 22]
    pdf.grid(headings, rows, widths, size=11.5,
             align=("CENTER", "LEFT") + ("RIGHT",) * (len(headings) - 2))

    pdf.heading("3. Ưu điểm", indent=True)
    if doc["strengths"]:
        pdf.items([f"{s['title']}: đạt yêu cầu {s['met']}/{s['of']} tiêu chí, gồm: "
                   f"{'; '.join(s['texts'])}." for s in doc["strengths"]], numbered=False)
    else:
        pdf.para("Chưa có tiêu chí đạt yêu cầu đầy đủ.")
    pdf.heading("4. Tồn tại, hạn chế", indent=True)
    if doc["shortcomings"]:
        pdf.items([_shortcoming(s) for s in doc["shortcomings"]])
    else:
        pdf.para("Không có tồn tại, hạn chế.")

    pdf.heading("III. KIẾN NGHỊ, ĐỀ NGHỊ")
    if doc["recommendations"]:
        pdf.para("Các đơn vị, cá nhân liên quan thực hiện:" if self_check else
                 f"Đoàn kiểm tra đề nghị {doc['committee']}:")
        pdf.items([_action(a, "thời hạn") for a in doc["recommendations"]])
        pdf.para(f"{doc['committee']} xây dựng kế hoạch khắc phục các tồn tại, hạn chế nêu trên "
                 f"và báo cáo kết quả thực hiện"
                 + ("" if self_check else f" về {doc['inspecting_body']}")
                 + f" trước ngày {doc['report_by']}.")
    else:
        pdf.para("Không có kiến nghị.")
    if not self_check:
        pdf.heading("IV. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA")
        for _ in range(4):
            pdf.para("…" * 60, indent=False, align="L")

    if pdf.will_page_break(70):
        pdf.add_page(same=True)
    pdf.para("Biên bản kết thúc vào hồi …… giờ …… cùng ngày, được lập thành 02 bản có giá trị "
             "như nhau"
             + ("" if self_check else f", Đoàn kiểm tra giữ 01 bản, {doc['committee']} giữ 01 bản")
             + ". Biên bản đã được đọc lại cho các thành phần tham dự cùng nghe và thống nhất "
               "ký tên.")
    blocks = [] if self_check else [("ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA",
                                     "(Ký, ghi rõ họ tên, đóng dấu)", "")]
    blocks += [("THƯ KÝ", "(Ký, ghi rõ họ tên)", doc["secretary"]),
               ("CHỦ TRÌ" if self_check else "TRƯỞNG ĐOÀN", "(Ký, ghi rõ họ tên)", doc["lead"])]
    pdf.signatures(blocks)
    pdf.qr_code(doc["qr"])
    return _finish(pdf, f"{doc['title']} · {doc['unit_name']}")


def _shortcoming(s: dict[str, Any]) -> str:
    text = ""
    if s["criterion"]:
        text = f"Tiêu chí {s['criterion']}" + (f" {s['score']}" if s["score"] else "") + ": "
    text += s["finding"]
    if s.get("answer"):
        text += f" (kết quả: {s['answer']})"
    if s["no_action"]:
        text += " (Không cần biện pháp khắc phục" + (f": {s['reason']}" if s["reason"] else "") + ")"
    return text


def _action(a: dict[str, str], due_word: str, *, output: bool = False) -> str:
    text = a["action"] + (f" (tiêu chí {a['criterion']})" if a["criterion"] else "")
    text += f". Chủ trì: {a['owner'] or '……'}"
    if a["cooperating"]:
        text += f"; phối hợp: {a['cooperating']}"
    text += f"; {due_word}: {a['due']}"
    if output and a.get("output"):
        text += f"; sản phẩm: {a['output']}"
    return text + "."


# ---------------------------------------------------------------- the plan

APPENDIX_HEADINGS = ["STT", "Tiêu chí liên quan", "Tồn tại, hạn chế", "Nguyên nhân",
                     "Nhiệm vụ, giải pháp khắc phục", "Đơn vị/cá nhân chủ trì",
                     "Đơn vị phối hợp", "Thời hạn hoàn thành", "Sản phẩm/kết quả đầu ra",
                     "Kết quả thực hiện/tiến độ", "Ghi chú"]
APPENDIX_WIDTHS = [4, 5, 15, 9, 16, 9.5, 8, 8.5, 8.5, 10, 6.5]  # percent, as print.css


def plan_pdf(doc: dict[str, Any]) -> bytes:
    """The remediation plan with its 11-column appendix, from :func:`plan_content`."""
    pdf = Document()
    pdf.add_page()
    pdf.draft(doc)
    pdf.header_block(doc["header"])
    after = "tự kiểm tra" if doc["is_self_check"] else "kiểm tra"
    pdf.doc_title("KẾ HOẠCH", f"Khắc phục tồn tại, hạn chế sau {after} công tác cải cách hành "
                          f"chính {doc['period']}")
    pdf.para(f"Căn cứ {doc['minutes_ref']};")
    pdf.para(f"{doc['committee']} ban hành Kế hoạch khắc phục tồn tại, hạn chế như sau:")
    report_to = "Chủ tịch Ủy ban nhân dân" if doc["is_self_check"] else doc["inspecting_body"]
    pdf.heading("I. MỤC ĐÍCH, YÊU CẦU")
    pdf.heading("1. Mục đích", indent=True)
    pdf.para(f"Khắc phục kịp thời, dứt điểm các tồn tại, hạn chế đã được chỉ ra qua {after} công "
             f"tác cải cách hành chính {doc['inspection_date']}; nâng cao chất lượng, hiệu quả "
             f"công tác cải cách hành chính và kết quả Chỉ số cải cách hành chính của "
             f"{doc['unit_text']}.")
    pdf.heading("2. Yêu cầu", indent=True)
    pdf.para("Xác định rõ nội dung, nhiệm vụ, giải pháp, đơn vị và cá nhân chủ trì, thời hạn hoàn "
             "thành và sản phẩm đầu ra của từng nhiệm vụ; gắn với trách nhiệm của người đứng đầu. "
             f"Kết quả khắc phục phải có tài liệu kiểm chứng và được báo cáo {report_to} đúng "
             "thời hạn.")
    pdf.heading("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN")
    pdf.heading("1. Tồn tại, hạn chế", indent=True)
    if doc["shortcomings"]:
        pdf.items([(f"Tiêu chí {s['criterion']}: " if s["criterion"] else "") + s["finding"]
                   for s in doc["shortcomings"]])
    else:
        pdf.para("Không có tồn tại, hạn chế.")
    pdf.heading("2. Nguyên nhân", indent=True)
    if doc["causes"]:
        pdf.items([(f"Tiêu chí {s['criterion']}: " if s["criterion"] else "") + s["cause"]
                   for s in doc["causes"]], numbered=False)
    else:
        for label in ("- Nguyên nhân chủ quan:", "- Nguyên nhân khách quan:"):
            pdf.para(label)
            pdf.para("…" * 60, indent=False, align="L")
    pdf.heading("III. NHIỆM VỤ, GIẢI PHÁP")
    if doc["actions"]:
        pdf.items([_action(a, "thời hạn hoàn thành", output=True) for a in doc["actions"]])
        pdf.para("(Chi tiết tại Phụ lục kèm theo Kế hoạch này.)", style="I")
    else:
        pdf.para("Không có nhiệm vụ khắc phục.")
    pdf.heading("IV. TỔ CHỨC THỰC HIỆN")
    pdf.para("1. Các đơn vị, cá nhân được giao chủ trì tại Phụ lục kèm theo Kế hoạch này tổ chức "
             "thực hiện đúng nội dung, thời hạn; lưu giữ tài liệu kiểm chứng và cập nhật kết quả, "
             "tiến độ thực hiện trên hệ thống theo dõi.")
    pdf.para(f"2. Văn phòng HĐND và UBND theo dõi, đôn đốc, tổng hợp kết quả thực hiện, tham mưu "
             f"{doc['committee']} báo cáo {report_to} trước ngày {doc['report_by']}.")
    pdf.para("3. Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị, cá nhân kịp "
             "thời báo cáo Chủ tịch Ủy ban nhân dân để xem xét, chỉ đạo giải quyết./.")
    if pdf.will_page_break(55):
        pdf.add_page(same=True)
    top = pdf.get_y() + 4
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_xy(pdf.l_margin, top)
    pdf.set_font(FONT, "BI", 12)
    pdf.cell(width * 0.45, 5.5, "Nơi nhận:", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    for line in (f"- {doc['inspecting_body']} (để báo cáo);",
                 f"- Thường trực Đảng ủy, HĐND {doc['unit_text']};",
                 "- Chủ tịch, các Phó Chủ tịch UBND;", "- Các đơn vị, cá nhân tại Phụ lục;",
                 "- Lưu: VT."):
        pdf.multi_cell(width * 0.45, 5, line, new_x="LEFT", new_y="NEXT")
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.45, top)
    sign = width * 0.55
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(sign, LINE, "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH", align="C", new_x="LEFT",
                   new_y="NEXT")
    pdf.set_font(FONT, "I", 12)
    pdf.multi_cell(sign, LINE, "(Ký, ghi rõ họ tên, đóng dấu)", align="C", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_y(max(bottom, top + 40))
    pdf.qr_code(doc["qr"])

    # The appendix: landscape pages, margins 25/20/15/20 mm, the header row repeated.
    pdf.set_margins(20, 25, 20)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page(orientation="L")
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 6, "PHỤ LỤC", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "Danh mục nhiệm vụ khắc phục tồn tại, hạn chế", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "I", 12)
    pdf.multi_cell(0, 5.5, f"(Kèm theo Kế hoạch số …/KH-UBND ngày …… của {doc['committee']}; "
                           f"tình hình thực hiện tính đến ngày {doc['status_date']})", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    rows = [[str(n), row["criterion"], row["finding"], row["cause"], row["action"], row["owner"],
             row["cooperating"], row["due"], row["output"], row["progress"], row["note"]]
            for n, row in enumerate(doc["appendix"], 1)]
    if not rows:
        rows = [["", "", "Không có nhiệm vụ khắc phục."] + [""] * 8]
    pdf.grid(APPENDIX_HEADINGS, rows, APPENDIX_WIDTHS, size=10, numbered=True,
             align=("CENTER", "CENTER") + ("LEFT",) * 5 + ("CENTER",) + ("LEFT",) * 3)
    return _finish(pdf, f"Kế hoạch khắc phục · {doc['unit_name']}")
