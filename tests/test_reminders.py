"""Follow-up of remediation (issue 15 point 2): the daily digest (pure rules), the
notifications page and its badge, "mark all read", the reminder e-mails of
``reminders send`` received by a local SMTP sink, idempotent per day and user, and the
escalated items of the province."""
from __future__ import annotations

import datetime as _dt
import email
import email.policy
import socket
import socketserver
import threading

import pytest

from inspect_app import create_app
from inspect_app.domain import reminders as rules
from inspect_app.domain.models import ItemSummary
from inspect_app.services import ServiceError, accounts, clock
from inspect_app.services import reminders as service

from .conftest import app_config
from .support import World, csrf_of, form_fields, login

TODAY = _dt.date(2026, 12, 2)


def card(number: int, due: str | None, status: str = "open", unit: str = "NT",
         done_at: str | None = None) -> ItemSummary:
    return ItemSummary(id=f"rec-{number}", inspection="rec", unit=unit, finding=f"Tồn tại {number}",
                       due=due, status=status, done_at=done_at)


# ---------------------------------------------------------------- the digest (pure)

def test_a_commune_officer_gets_overdue_and_due_within_seven_days_of_their_unit():
    cards = [card(1, "2026-12-01"), card(2, "2026-12-02"), card(3, "2026-12-09"),
             card(4, "2026-12-10"), card(5, None), card(6, "2026-11-01", "in_progress"),
             card(7, "2026-11-20", "done"), card(8, "2026-11-20", "verified"),
             card(9, "2026-11-20", "cannot_do"), card(10, "2026-11-30", unit="TN"),
             card(11, "2026-12-03", "no_action")]
    digest = rules.build_digest("ua", "unit", cards, TODAY, units={"NT"})
    assert [(e.kind, e.item.id, e.days) for e in digest.entries] == [
        ("overdue", "rec-6", 31), ("overdue", "rec-9", 12), ("overdue", "rec-1", 1),
        ("due_soon", "rec-2", 0), ("due_soon", "rec-3", 7)]
    assert digest.counts() == {"overdue": 3, "due_soon": 2, "awaiting": 0}
    assert digest.total == 5


def test_an_inspector_gets_items_awaiting_verification_and_overdue_items():
    cards = [card(1, "2026-12-01"), card(2, "2026-12-05"),
             card(3, "2026-12-20", "done", done_at="2026-11-30T03:00:00+00:00"),
             card(4, None, "done", done_at="2026-11-01T03:00:00+00:00"),
             card(5, "2026-11-01", "done", unit="XX", done_at="2026-11-01T03:00:00+00:00"),
             card(6, "2026-11-01", unit="TN")]
    digest = rules.build_digest("lead", "inspector", cards, TODAY, units={"NT", "TN"})
    assert [(e.kind, e.item.id) for e in digest.entries] == [
        ("overdue", "rec-6"), ("overdue", "rec-1"), ("awaiting", "rec-4"), ("awaiting", "rec-3")]
    assert rules.build_digest("admin", "admin", cards, TODAY, units=None).entries == ()
    assert rules.build_digest("viewer", "viewer", cards, TODAY, units=None).total == 0


def test_an_item_counts_once_and_a_new_kind_is_a_new_unread_entry():
    soon = rules.build_digest("ua", "unit", [card(1, "2026-12-02"), card(1, "2026-12-02")],
                              TODAY, units={"NT"})
    assert [e.key for e in soon.entries] == ["due_soon:rec-1"]
    state = rules.marked_read({"mailed": ["2026-12-01"]}, [e.key for e in soon.entries], TODAY)
    assert soon.unread_count(rules.read_keys(state)) == 0
    assert state["mailed"] == ["2026-12-01"]  # marking read keeps what was mailed
    tomorrow = rules.build_digest("ua", "unit", [card(1, "2026-12-02")],
                                  TODAY + _dt.timedelta(days=1), units={"NT"})
    assert [e.key for e in tomorrow.unread(rules.read_keys(state))] == ["overdue:rec-1"]
    # entries left out of a bounded read count as unread
    capped = rules.build_digest("ua", "unit", [card(1, "2026-12-02")], TODAY, units={"NT"},
                                more={"overdue": 3, "awaiting": 5})
    assert capped.more == {"overdue": 3}  # a unit has no "awaiting" kind
    assert capped.counts()["overdue"] == 3 and capped.unread_count(()) == 4


def test_mailed_days_are_remembered_within_the_window_and_can_be_released():
    state: dict = {}
    window = rules.MAILED_WINDOW_DAYS
    for n in range(window + 10):
        state = rules.with_mailed(state, TODAY - _dt.timedelta(days=n), TODAY)
    assert len(state["mailed"]) == window and rules.was_mailed(state, TODAY)
    oldest = TODAY - _dt.timedelta(days=window - 1)
    assert rules.was_mailed(state, oldest) and rules.in_mailing_window(oldest, TODAY)
    assert not rules.in_mailing_window(oldest - _dt.timedelta(days=1), TODAY)
    assert not rules.was_mailed(rules.with_mailed(state, TODAY, TODAY, sent=False), TODAY)


def test_escalation_after_a_number_of_days_overdue():
    assert rules.is_escalated(card(1, "2026-11-01"), TODAY, 30)  # 31 days
    assert not rules.is_escalated(card(1, "2026-11-02"), TODAY, 30)  # exactly 30
    assert not rules.is_escalated(card(1, "2026-10-01", "done"), TODAY, 30)
    assert rules.escalation_cutoff(TODAY, 30) == _dt.date(2026, 11, 2)


# ---------------------------------------------------------------- a world of records

@pytest.fixture
def world(app, client):
    return World(app, client)


@pytest.fixture
def pin(monkeypatch):
    def set_day(day: _dt.date):  # 09:00 in Vietnam
        moment = _dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=_dt.UTC)
        monkeypatch.setattr(clock, "now_utc", lambda: moment)
    set_day(TODAY)
    return set_day


def items_of_nt(world) -> list[str]:
    """A finalized inspection of NT by "lead" whose first three items are overdue by 40
    days ("Thiếu 1"), due in 3 days ("Thiếu 2") and done, awaiting verification
    ("Thiếu 3"); the other items have no deadline. Returns the three ids."""
    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.6", value=False, note="Thiếu 1")
    world.finalize("lead", record)
    ids = [i.id for i in world.record(record).items][:3]
    dues = ["2026-10-23", "2026-12-05", "2026-12-20"]

    def change(inspection):
        for item in inspection.items:
            item.due = None
        for n, (item_id, due) in enumerate(zip(ids, dues, strict=True), start=1):
            item = inspection.item(item_id)
            item.due, item.finding = due, f"Thiếu {n}"
        done = inspection.item(ids[2])
        done.status, done.done_at = "done", "2026-12-01T03:00:00+00:00"
    world.store.update_inspection(record, change)
    return ids


def test_the_service_reads_each_users_digest_within_their_scope(world, pin):
    overdue, soon, done = items_of_nt(world)
    ua = service.digest(world.store, world.scope("ua"), TODAY)
    assert [(e.kind, e.item.id) for e in ua.entries] == [("overdue", overdue), ("due_soon", soon)]
    lead = service.digest(world.store, world.scope("lead"), TODAY)
    assert [(e.kind, e.item.id) for e in lead.entries] == [("overdue", overdue), ("awaiting", done)]
    watcher = service.digest(world.store, world.scope("watcher"), TODAY)  # inspects NT too
    assert [e.item.id for e in watcher.entries] == [overdue, done]
    assert service.digest(world.store, world.scope("ub"), TODAY).total == 0
    assert service.digest(world.store, world.scope("outsider"), TODAY).total == 0
    assert service.digest(world.store, world.scope("admin"), TODAY).total == 0
    capped = service.digest(world.store, world.scope("ua"), TODAY, limit=1)
    assert len(capped.entries) == 2 and capped.counts() == {"overdue": 1, "due_soon": 1,
                                                             "awaiting": 0}
    assert service.digest(world.store, world.scope("ua"), TODAY, limit=0).unread_count(()) == 2
    escalated = service.escalated(world.store, world.scope("admin"), TODAY, 30)
    assert [e.item.id for e in escalated.rows] == [overdue]
    assert service.escalated(world.store, world.scope("admin"), TODAY, 40).total == 0
    assert service.escalated(world.store, world.scope("ub"), TODAY, 30).total == 0


def badge(html: str) -> str | None:
    marker = 'data-role="notification-count"'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_the_page_the_badge_and_mark_all_read(world, client, pin):
    overdue, soon, _done = items_of_nt(world)
    login(client, "ua")
    home = client.get("/").get_data(as_text=True)
    assert badge(home) == "2"
    page = client.get("/notifications/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Thiếu 1" in html and "Thiếu 2" in html and "Thiếu 3" not in html
    assert "40 ngày quá hạn" in html and "còn 3 ngày" in html and "05/12/2026" in html
    assert html.count("is-unread") == 2
    assert client.post("/notifications/read").status_code == 400  # no CSRF token
    assert badge(client.get("/").get_data(as_text=True)) == "2"
    response = client.post("/notifications/read", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 302
    after = client.get("/notifications/").get_data(as_text=True)
    assert badge(after) is None and "is-unread" not in after and "Thiếu 1" in after
    # the next day the item due soon is still due soon (read), nothing new
    pin(TODAY + _dt.timedelta(days=1))
    assert badge(client.get("/").get_data(as_text=True)) is None
    # when it becomes overdue it is a new entry
    pin(_dt.date(2026, 12, 6))
    assert badge(client.get("/").get_data(as_text=True)) == "1"


def test_admins_and_viewers_have_no_notifications_but_see_escalated_items(world, client, pin):
    overdue, _soon, _done = items_of_nt(world)
    login(client, "admin")
    html = client.get("/remediation/").get_data(as_text=True)
    assert badge(html) is None and "/notifications/" not in html
    assert 'id="escalated"' in html and "quá 30 ngày" in html and "40 ngày quá hạn" in html
    assert client.get("/notifications/").status_code == 403


def test_the_escalation_threshold_is_a_setting(tmp_path, pin):
    app = create_app(app_config(tmp_path, ESCALATE_AFTER_DAYS=45))
    client = app.test_client()
    items_of_nt(World(app, client))
    login(client, "admin")
    assert 'id="escalated"' not in client.get("/remediation/").get_data(as_text=True)


# ---------------------------------------------------------------- e-mail addresses

@pytest.mark.parametrize("given, stored", [
    ("", ""), ("  lan.nguyen@NoiVu.BacKan.gov.VN ", "lan.nguyen@noivu.backan.gov.vn"),
    ("a+b@x.vn", "a+b@x.vn")])
def test_valid_email_addresses(given, stored):
    assert accounts.clean_email(given) == stored


@pytest.mark.parametrize("bad", ["lan", "lan@", "@x.vn", "lan@x", "a b@x.vn",
                                 "lan@x.vn\r\nBcc: all@x.vn", "Lan <lan@x.vn>",
                                 "a@" + "x" * 250 + ".vn"])
def test_invalid_email_addresses_are_refused_naming_the_field(bad):
    with pytest.raises(ServiceError) as refused:
        accounts.clean_email(bad)
    assert refused.value.details["field"] == "email"


def test_the_command_line_sets_and_removes_an_address(world, runner):
    result = runner.invoke(args=["users", "email", "ua", "Lan@NT.vn"])
    assert result.exit_code == 0 and world.store.get_user("ua").email == "Lan@nt.vn"
    result = runner.invoke(args=["users", "email", "ua", "không-phải-địa-chỉ"])
    assert result.exit_code == 2 and "e-mail" in result.output
    assert world.store.get_user("ua").email == "Lan@nt.vn"
    assert runner.invoke(args=["users", "email", "ua"]).exit_code == 0
    assert world.store.get_user("ua").email == ""
    assert runner.invoke(args=["users", "email", "nobody", "a@b.vn"]).exit_code == 2


# ---------------------------------------------------------------- a local SMTP sink

class Sink(socketserver.ThreadingTCPServer):
    """A tiny SMTP server on 127.0.0.1 that keeps every message it accepts; ``refuse``
    makes it answer 451 to DATA (a temporary failure)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SinkHandler)
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = False
        self.refuse_next = 0  # answer 451 to that many more messages, then accept again
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]


class SinkHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        sink: Sink = self.server  # type: ignore[assignment]
        self.reply("220 sink ESMTP")
        sender, recipients = "", []
        while raw := self.rfile.readline():
            command = raw.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(), []
                self.reply("250 ok")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip())
                self.reply("250 ok")
            elif verb == "DATA":
                if sink.refuse or sink.refuse_next:
                    sink.refuse_next = max(0, sink.refuse_next - 1)
                    self.reply("451 try again later")
                    continue
                self.reply("354 go on")
                data = b""
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    data += line[1:] if line.startswith(b"..") else line
                sink.messages.append(email.message_from_bytes(data, policy=email.policy.default))
                sink.envelopes.append((sender, recipients))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def sink():
    server = Sink()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mail_app(tmp_path, sink):
    return create_app(app_config(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port,
                                 SMTP_STARTTLS=False, SMTP_FROM="cchc@snv.example.vn"))


def test_reminders_are_mailed_once_per_day_and_user(mail_app, sink, pin):
    world = World(mail_app, mail_app.test_client())
    mail_app.extensions["store"].put_settings({"public_url": "https://cchc.example.vn"})
    overdue, soon, done = items_of_nt(world)
    accounts.set_email(world.store, "ua", "vanphong@nongthuong.vn")
    accounts.set_email(world.store, "lead", "lead@snv.example.vn")
    accounts.set_email(world.store, "ub", "ub@thiennghiep.vn")  # nothing to follow up
    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["reminders", "send", "--date", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output and "1 with nothing" in result.output
    by_to = {m["To"]: m for m in sink.messages}
    assert set(by_to) == {"vanphong@nongthuong.vn", "lead@snv.example.vn"}
    officer = by_to["vanphong@nongthuong.vn"]
    assert officer["From"] == "cchc@snv.example.vn"
    assert officer["Subject"] == "Nhắc việc khắc phục ngày 02/12/2026: 1 quá hạn, 1 sắp đến hạn"
    body = officer.get_content()
    assert "Xã Nông Thượng: Thiếu 1" in body and "Hạn 23/10/2026 (40 ngày quá hạn)" in body
    assert "Hạn 05/12/2026 (còn 3 ngày)" in body and "Thiếu 3" not in body
    assert f"https://cchc.example.vn/remediation/item/{overdue}" in body
    assert "https://cchc.example.vn/notifications/" in body
    inspector = by_to["lead@snv.example.vn"].get_content()
    assert "Thiếu 3" in inspector and "Chờ xác nhận (1)" in inspector and "Thiếu 2" not in inspector

    again = runner.invoke(args=["reminders", "send", "--date", "2026-12-02"])
    assert again.exit_code == 0 and "0 sent, 2 already sent" in again.output
    assert len(sink.messages) == 2  # nothing twice
    next_day = runner.invoke(args=["reminders", "send", "--date", "2026-12-03"])
    assert "2 sent" in next_day.output and len(sink.messages) == 4


def test_users_without_an_address_are_skipped_and_refused_mail_is_retried(mail_app, sink, pin):
    world = World(mail_app, mail_app.test_client())
    items_of_nt(world)
    accounts.set_email(world.store, "ua", "vanphong@nongthuong.vn")
    runner = mail_app.test_cli_runner()
    sink.refuse = True
    result = runner.invoke(args=["reminders", "send", "--date", "2026-12-02"])
    assert result.exit_code == 1 and "1 failed" in result.output and "without an e-mail" in result.output
    assert "not sent to ua" in result.output and sink.messages == []
    sink.refuse = False
    result = runner.invoke(args=["reminders", "send", "--date", "2026-12-02"])
    assert result.exit_code == 0 and "1 sent" in result.output
    assert [m["To"] for m in sink.messages] == ["vanphong@nongthuong.vn"]


def test_the_command_refuses_without_a_mail_server_or_with_a_bad_date(app, runner):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 2 and "INSPECT_SMTP_HOST" in result.output


def test_a_bad_date_is_refused(mail_app):
    result = mail_app.test_cli_runner().invoke(args=["reminders", "send", "--date", "02/12/2026"])
    assert result.exit_code == 2 and "--date" in result.output


def test_an_unreachable_mail_server_fails_every_message_and_keeps_them_unsent(tmp_path, pin):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens there
    app = create_app(app_config(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                                SMTP_STARTTLS=False, SMTP_FROM="cchc@snv.example.vn"))
    world = World(app, app.test_client())
    items_of_nt(world)
    accounts.set_email(world.store, "ua", "vanphong@nongthuong.vn")
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", "2026-12-02"])
    assert result.exit_code == 1 and "1 failed" in result.output
    assert not rules.was_mailed(world.store.get_user_state("ua"), TODAY)


def test_section_pages_being_filled_show_no_badge(world, client, pin, monkeypatch):
    items_of_nt(world)
    record = world.start("lead", "NT")
    login(client, "lead")
    assert badge(client.get("/").get_data(as_text=True)) == "2"
    calls = []
    real = world.store.query_items
    monkeypatch.setattr(world.store, "query_items", lambda *a, **k: calls.append(a) or real(*a, **k))
    section = client.get(f"/inspections/{record}/s/chi_dao")
    assert section.status_code == 200
    assert badge(section.get_data(as_text=True)) is None and calls == []


def test_mark_all_read_leaves_an_entry_that_came_in_after_the_page_new(
        world, client, pin):
    """A commune officer opens *Thông báo* and sees two new entries. While the page is
    open, the inspector finalizes another inspection of the commune with an overdue item.
    The officer clicks "Đánh dấu tất cả đã đọc" for what they have seen. They expect the
    item they have never seen to stay new (badge 1). It is marked read too: the POST marks
    today's digest as recomputed at that moment, not the entries that were shown."""
    items_of_nt(world)
    login(client, "ua")
    html = client.get("/notifications/").get_data(as_text=True)
    assert html.count("is-unread") == 2
    # meanwhile: a new inspection of NT with an overdue item
    record = world.start("lead", "NT", period="2026")
    world.answer("lead", record, "1.6", value=False, note="Mới")
    world.finalize("lead", record)
    new_id = world.record(record).items[0].id

    def change(inspection):
        for item in inspection.items:
            item.due = None
        item = inspection.item(new_id)
        item.due, item.finding = "2026-11-30", "Thiếu mới chưa xem"
    world.store.update_inspection(record, change)

    client.post("/notifications/read", data=form_fields(html, "mark-read"))
    after = client.get("/notifications/").get_data(as_text=True)
    assert "Thiếu mới chưa xem" in after
    assert badge(after) == "1", "an entry never shown to the user was marked read"


def test_an_inspector_keeps_the_items_they_raised_after_the_commune_merges(world, pin):
    """Inspector "lead" inspected Xã Nông Thượng (NT) and follows up its overdue item
    "Thiếu 1". The admin merges NT into a new commune MOI (its open items move to MOI, as
    docs/units.md says). "lead" expects the item they raised to stay in their digest (and
    its awaiting-verification entry once MOI marks it done). It vanishes: the inspector's
    units are ``with_history(units_with_member)`` = {NT} (history goes only from the new
    unit back to the old, not forward), and the moved item now carries unit MOI."""
    from inspect_app.services import reminders as service
    from inspect_app.services import units as unit_service

    overdue, _soon, _done = items_of_nt(world)
    before = service.digest(world.store, world.scope("lead"), TODAY)
    assert overdue in [e.item.id for e in before.of("overdue")]
    unit_service.add_unit(world.store, "MOI", "Xã Mới")
    unit_service.merge_units(world.store, ["NT"], "MOI", "01/12/2026", by="admin")
    assert world.item(overdue).unit == "MOI"
    after = service.digest(world.store, world.scope("lead"), TODAY)
    assert overdue in [e.item.id for e in after.of("overdue")], (
        "the inspector's overdue item left their digest after the merge")


def test_mark_all_read_clears_the_badge_when_more_are_due_than_listed(
        world, client, pin):
    """A commune with many overdue items (two inspections finalized with every criterion
    failed: 114 overdue items). The officer opens *Thông báo* and clicks "Đánh dấu tất cả
    đã đọc". They expect the badge to go away and the button to disappear. The badge still
    says 14 and the button stays, however often it is pressed: the entries beyond the
    digest's 100-card list (``Digest.more``) always count as unread
    (``Digest.unread_count``), and ``mark_all_read`` can only mark the listed ones."""
    for period in ("2025", "2026"):
        record = world.start("lead", "NT", period=period)
        world.finalize("lead", record)

        def change(inspection):
            for item in inspection.items:
                item.due = "2026-11-01"
        world.store.update_inspection(record, change)
    login(client, "ua")
    html = client.get("/notifications/").get_data(as_text=True)
    assert badge(html) not in (None, "0")
    client.post("/notifications/read", data=form_fields(html, "mark-read"))
    after = client.get("/notifications/").get_data(as_text=True)
    assert badge(after) is None, f"badge still {badge(after)} after mark all read"


def test_without_a_public_address_the_mail_carries_no_link_to_localhost(mail_app, sink, pin):
    """The province has not set the app's public address yet and the reminders are sent
    from the command line. What happened: every line of the e-mail ended with a link to
    http://localhost/remediation/item/…, the commune officer's own computer, which opens
    nothing. Now the mail has no links and says where to look; the command says why."""
    world = World(mail_app, mail_app.test_client())
    overdue, _soon, _done = items_of_nt(world)
    accounts.set_email(world.store, "ua", "vanphong@nongthuong.vn")
    result = mail_app.test_cli_runner().invoke(
        args=["reminders", "send", "--date", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "no public address" in result.stderr
    body = sink.messages[0].get_content()
    assert "localhost" not in body and "http" not in body, body
    assert "Xã Nông Thượng: Thiếu 1" in body
    assert "chọn Thông báo" in body
