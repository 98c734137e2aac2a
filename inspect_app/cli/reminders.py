"""``reminders send``: the daily reminder e-mails of remediation follow-up, for cron.

``flask --app inspect_app reminders send [--date YYYY-MM-DD]`` e-mails every active
commune officer and inspector who has an e-mail address and something to follow up
their digest of the day (today in INSPECT_TIMEZONE by default), in the default
language. Running it again the same day sends nothing twice (``--date``: a day within
``MAILED_WINDOW_DAYS`` of today). Exit 0 when every message went out, 1 when some could
not be sent (run it again later: only those are retried; a mail server that cannot be
reached stops the run at once), 2 when SMTP is not configured or the date is wrong. With the PostgreSQL store,
``reminders send --queue`` puts the day's sending in the task queue instead (a worker on
any server sends it; queued once per day).
"""
from __future__ import annotations

import datetime as _dt

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from ..domain import reminders as rules
from ..services import clock
from ..services import reminders as service
from ..services.mail import MailNotConfigured, SmtpMailer, smtp_settings
from ..tasks import queue_of
from ..web.notifications import compose_mail
from ..web.province import settings as province_settings
from .errors import CommandFailed

reminders_cli = AppGroup("reminders", help="Reminder e-mails of remediation follow-up.")


def _today(app: Flask) -> _dt.date:
    return clock.today(app.config["TIMEZONE"])


def _day(value: str | None) -> _dt.date:
    today = _today(current_app)
    if not value:
        return today
    try:
        day = _dt.date.fromisoformat(value)
    except ValueError:
        raise CommandFailed(f"reminders send: --date must be a date like 2026-12-02, "
                            f"not {value!r}") from None
    if not rules.in_mailing_window(day, today):
        raise CommandFailed(f"reminders send: --date {day.isoformat()} is more than "
                            f"{rules.MAILED_WINDOW_DAYS - 1} days from today "
                            f"({today.isoformat()}): the days mailed that long ago are not "
                            f"remembered, it could mail someone twice")
    return day


def _smtp(app: Flask) -> dict:
    try:
        smtp = smtp_settings(app.config)
    except MailNotConfigured as exc:
        raise CommandFailed(f"reminders send: {exc}") from None
    if smtp is None:
        raise CommandFailed("reminders send: no mail server: set INSPECT_SMTP_HOST and "
                            "INSPECT_SMTP_FROM (docs/settings.md)")
    return smtp


def send_daily(app: Flask, date: _dt.date) -> service.SendReport:
    """Send the reminders of ``date`` (this command, and the task queue's worker)."""
    smtp = _smtp(app)
    with app.app_context():
        store = app.extensions["store"]
        with app.test_request_context("/"):
            base = province_settings().public_url or "http://localhost"
        with app.test_request_context("/", base_url=base), \
                force_locale(app.config["DEFAULT_LOCALE"]), SmtpMailer(smtp) as send:
            return service.send_reminders(store, date, compose_mail, send, today=_today(app))


@reminders_cli.command("send")
@click.option("--date", "day", default=None, metavar="YYYY-MM-DD",
              help="The day of the digest (default: today in INSPECT_TIMEZONE).")
@click.option("--queue", is_flag=True,
              help="Put the sending in the task queue (PostgreSQL store): a worker sends it.")
def reminders_send(day: str | None, queue: bool) -> None:
    """E-mail today's digest to each user, at most once per user and day."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    date = _day(day)
    _smtp(app)
    if queue:
        jobs = queue_of(app)
        if jobs is None:
            raise CommandFailed("reminders send --queue: the task queue needs the PostgreSQL "
                                "store (INSPECT_DATABASE_URL); without it run reminders send")
        queued = jobs.defer_reminders(date)
        click.echo(f"reminders {date.isoformat()}: " + (
            f"queued (job {queued})" if queued is not None else "already queued"))
        return
    with app.app_context(), app.test_request_context("/"):
        if not province_settings().public_url:
            click.echo("reminders send: no public address is set (Province settings, "
                       "docs/settings.md): the e-mails carry no links", err=True)
    report = send_daily(app, date)
    click.echo(f"reminders {date.isoformat()}: {len(report.sent)} sent, "
               f"{len(report.already)} already sent, {len(report.nothing)} with nothing to "
               f"follow up, {len(report.no_email)} without an e-mail address, "
               f"{len(report.unsent)} failed")
    for username, reason in report.failed:
        click.echo(f"not sent to {username}: {reason}", err=True)
    if report.stopped:
        click.echo(f"reminders send: stopped, {report.stopped}: {len(report.not_tried)} not "
                   f"tried (the next run sends them)", err=True)
    if report.unsent:
        raise CommandFailed(None, code=1)
