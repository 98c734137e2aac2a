"""How a command fails: :class:`CommandFailed` prints its message (no traceback) and
exits with its code; a write the disk refuses ends any command the same way."""
from __future__ import annotations

import functools
from typing import Any

import click
from flask import Flask, current_app

from ..storage import CannotStore


class CommandFailed(click.ClickException):
    """Stop a command: ``message`` on standard error (if any), exit ``code`` (2 by default:
    bad input or a refusal; 1: the check ran and found problems)."""

    def __init__(self, message: str | None, code: int = 2) -> None:
        super().__init__(message or "")
        self.exit_code = code

    def show(self, file: Any = None) -> None:  # the message alone, without Click's "Error: "
        if self.message:
            click.echo(self.message, err=True)


def current_store():
    """The app's store (commands run inside the app context)."""
    return current_app.extensions["store"]


def end_refusals(app: Flask) -> None:
    """Wrap each command's callback so that CannotStore prints its message and exits 2."""
    def wrap(command: click.Command) -> None:
        for sub in getattr(command, "commands", {}).values():
            wrap(sub)
        callback = command.callback
        if callback is None or getattr(callback, "_refusals_wrapped", False):
            return

        @functools.wraps(callback)
        def wrapped(*args, **kwargs):
            try:
                return callback(*args, **kwargs)
            except CannotStore as exc:
                raise CommandFailed(f"{command.name}: {exc.message} ({exc})") from None

        wrapped._refusals_wrapped = True  # type: ignore[attr-defined]
        command.callback = wrapped

    for command in app.cli.commands.values():
        wrap(command)
