"""Reminder e-mails (``reminders send``) reach the officers whatever the mail server does:
a connection the server closed between two messages is opened again for the next one
(never sending a message twice), a server that does not answer stops the run after one
wait (the rest unmarked for the next run), and a missed day sent with ``--date`` within
the documented window is remembered, so a second run sends nothing twice."""
from __future__ import annotations

import datetime as _dt
import socket
import time

import pytest

from inspect_app import create_app
from inspect_app.domain import reminders as rules
from inspect_app.services import accounts, clock
from inspect_app.services import mail as mail_service
from inspect_app.services import reminders as reminder_service
from inspect_app.services import units as unit_service

from .conftest import app_config
from .support import PASSWORD, World
from .test_reminders import Sink, SinkHandler, items_of_nt, sink  # noqa: F401 (fixture)

TODAY = _dt.date(2026, 12, 2)


@pytest.fixture
def pin(monkeypatch):
    moment = _dt.datetime(TODAY.year, TODAY.month, TODAY.day, 2, 0, tzinfo=_dt.UTC)
    monkeypatch.setattr(clock, "now_utc", lambda: moment)


class OneMessagePerConnection(SinkHandler):
    """Like many relays (a per-connection message limit, or an idle timeout while the
    next digest is read): after accepting a message the server closes the connection."""

    def handle(self) -> None:
        sink = self.server
        before = len(sink.messages)
        real_reply = self.reply

        def reply(line: str) -> None:
            real_reply(line)
            if line.startswith("250 queued") and len(sink.messages) > before:
                raise ConnectionAbortedError  # hang up after the first message
        self.reply = reply
        try:
            super().handle()
        except ConnectionAbortedError:
            pass


class ClosingSink(Sink):
    def __init__(self):
        super().__init__()
        self.RequestHandlerClass = OneMessagePerConnection


@pytest.fixture
def closing_sink():
    server = ClosingSink()
    yield server
    server.shutdown()
    server.server_close()


def mail_app_of(tmp_path, port):
    return create_app(app_config(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                                 SMTP_STARTTLS=False, SMTP_FROM="cchc@snv.example.vn"))


def test_a_connection_the_server_closed_is_opened_again_for_the_next_mail(
        tmp_path, closing_sink, pin):
    """What happened: the province's relay closes the SMTP connection after each message
    (the server is up and accepts every new connection); every second user's mail failed
    on the dead connection (SMTPServerDisconnected), exit 1, and those officers got no
    reminder that day (services/mail.SmtpMailer.__call__ reconnected only for the *next*
    mail, never retried the one that hit the stale connection)."""
    app = mail_app_of(tmp_path, closing_sink.port)
    world = World(app, app.test_client())
    items_of_nt(world)
    accounts.set_email(world.store, "ua", "vanphong@nongthuong.vn")
    accounts.set_email(world.store, "lead", "lead@snv.example.vn")
    accounts.set_email(world.store, "watcher", "watcher@snv.example.vn")
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", "2026-12-02"])
    assert sorted(m["To"] for m in closing_sink.messages) == [
        "lead@snv.example.vn", "vanphong@nongthuong.vn", "watcher@snv.example.vn"], result.output
    assert result.exit_code == 0, result.output


def test_a_mail_server_that_does_not_answer_stops_the_run_after_one_wait(
        tmp_path, pin, monkeypatch):
    """What happened: the mail server accepted the TCP connection but never greeted
    (overloaded, or a firewall that black-holes); every user waited the full SMTP timeout
    again (30 s each: 500 officers ≈ 4 hours, past the next cron run), since
    services/reminders.send_reminders kept calling the mailer, which reconnected for each
    message."""
    monkeypatch.setattr(mail_service, "TIMEOUT", 1.0)
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(50)  # connections complete in the backlog; nobody ever answers
    try:
        app = mail_app_of(tmp_path, hole.getsockname()[1])
        world = World(app, app.test_client())
        items_of_nt(world)
        for name in ("ua", "lead", "watcher", "mate"):
            accounts.set_email(world.store, name, f"{name}@snv.example.vn")
        started = time.monotonic()
        result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", "2026-12-02"])
        elapsed = time.monotonic() - started
    finally:
        hole.close()
    assert result.exit_code == 1 and "4 failed" in result.output, result.output
    assert "stopped" in result.stderr and "3 not tried" in result.stderr, result.stderr
    assert elapsed < 2.5 * mail_service.TIMEOUT, (
        f"{elapsed:.1f} s: the dead server was waited for once per user")
    for name in ("ua", "lead", "watcher", "mate"):  # the next run tries them all again
        assert not rules.was_mailed(world.store.get_user_state(name), TODAY)


def test_a_missed_day_resent_with_date_is_mailed_once(tmp_path, sink, pin):
    """What happened: cron was down early in September and the officer had their reminder
    every day of the last 60 days since; the operator sent the missed day with
    ``reminders send --date 2026-09-01`` and ran it again to check: the officer got the
    same reminder again on every run, since the user's document kept only the 60 latest
    mailed days (domain/reminders.with_mailed: ``sorted(mailed)[-MAX_MAILED_DAYS:]``) and
    dropped the day at once."""
    app = mail_app_of(tmp_path, sink.port)
    world = World(app, app.test_client())
    overdue, _soon, _done = items_of_nt(world)

    def due_early(inspection):
        inspection.item(overdue).due = "2026-08-20"  # overdue on the missed day
    world.store.update_inspection(overdue.rsplit("-", 1)[0], due_early)
    accounts.set_email(world.store, "ua", "vanphong@nongthuong.vn")
    recent = [(TODAY - _dt.timedelta(days=n)).isoformat() for n in range(1, 61)]

    def mailed_daily(doc: dict) -> None:
        doc["mailed"] = sorted(recent)
    world.store.update_user_state("ua", mailed_daily)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "send", "--date", "2026-09-01"])
    assert first.exit_code == 0 and "1 sent" in first.output, first.output
    again = runner.invoke(args=["reminders", "send", "--date", "2026-09-01"])
    assert len(sink.messages) == 1, f"mailed {len(sink.messages)} times: {again.output}"
    assert "1 already sent" in again.output


def test_a_date_older_than_the_window_is_refused(tmp_path, sink, pin):
    """The days mailed longer ago than the window are not remembered: sending one again
    could mail an officer twice, so the command refuses it, saying why."""
    app = mail_app_of(tmp_path, sink.port)
    old = TODAY - _dt.timedelta(days=rules.MAILED_WINDOW_DAYS)
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", old.isoformat()])
    assert result.exit_code == 2 and old.isoformat() in result.output, result.output
    assert sink.messages == []


def test_a_stopped_run_does_not_count_officers_with_nothing_to_follow_up_as_failed(
        tmp_path, pin):
    """What happened: the mail server goes down in the middle of `reminders send`. The officer of
    Xã Yên Lạc has an e-mail address but nothing to follow up this day (no item of hers
    is due or overdue): no reminder would ever be sent to her. Expected: the report
    counts her "with nothing to follow up", as every run did, and only the officers who
    had a reminder are "failed / not tried (the next run sends them)". What happens:
    since the run stops at MailServerDown, every user after the failure is put in
    `not_tried` before her digest is even read, so she counts as failed (exit 1, "N
    failed", the queued job's RuntimeError lists her) and "the next run sends them"
    promises a mail that the next run will not send (services/reminders.send_reminders
    checks `report.stopped` before the digest)."""
    app = mail_app_of(tmp_path, 1)
    world = World(app, app.test_client())
    items_of_nt(world)
    store = world.store
    unit_service.add_unit(store, "YL", "Xã Yên Lạc")
    accounts.create_user(store, "zidle", "unit", password=PASSWORD, unit="YL",
                         full_name="Phạm Thị Nhàn")
    accounts.set_email(store, "zidle", "vanphong@yenlac.vn")
    accounts.set_email(store, "lead", "lead@snv.example.vn")

    def send(mail):
        raise reminder_service.MailServerDown("the mail server 127.0.0.1:1 cannot be used")

    with app.test_request_context("/"):
        from inspect_app.cli.reminders import compose_mail
        report = reminder_service.send_reminders(store, TODAY, compose_mail, send,
                                                 today=TODAY)
    assert report.stopped, report
    unsent = [name for name, _why in report.unsent]
    assert "zidle" not in unsent, (
        f"an officer with nothing to follow up is reported not sent: {report.unsent}")
    assert "zidle" in report.nothing, report
