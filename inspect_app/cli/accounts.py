"""``users``: create users and API tokens (``units`` is in :mod:`.units`)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..domain.models import ROLES
from ..services import ServiceError, accounts
from .errors import CommandFailed, current_store

users_cli = AppGroup("users", help="Create users and API tokens.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
@click.option("--unit", default=None, help="Unit code (required for the unit role).")
@click.option("--name", "full_name", default="", help="Full name, shown and printed.")
@click.option("--position", default="", help="Position (chức vụ), printed in minutes.")
@click.option("--email", default="", help="E-mail address for reminders (optional).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, role: str, unit: str | None, full_name: str, position: str,
                 email: str, password_stdin: bool) -> None:
    """Create USERNAME. Without --password-stdin, asks for the password twice."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(current_store(), username, role, unit=unit, password=password,
                                    full_name=full_name, position=position, email=email)
    except ServiceError as exc:
        raise CommandFailed(f"users create: {exc.message}") from None
    click.echo(f"user {user.username} ({user.role}{', unit ' + user.unit if user.unit else ''})")


@users_cli.command("email")
@click.argument("username")
@click.argument("address", default="")
def users_email(username: str, address: str) -> None:
    """Set the e-mail address USERNAME's reminders go to (no ADDRESS: remove it)."""
    try:
        email = accounts.set_email(current_store(), username, address)
    except ServiceError as exc:
        raise CommandFailed(f"users email: {exc.message}") from None
    click.echo(f"user {username}: {email or 'no e-mail address'}")


@users_cli.command("token")
@click.argument("username")
@click.option("--label", default="", help="What the token is for.")
def users_token(username: str, label: str) -> None:
    """Print a new API token for USERNAME (only its hash is stored: keep it now)."""
    try:
        click.echo(accounts.issue_token(current_store(), username, label))
    except ServiceError as exc:
        raise CommandFailed(f"users token: {exc.message}") from None
