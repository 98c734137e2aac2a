"""Languages, without Flask: the catalogues of ``inspect_app/translations`` (message ids
are English, ``vi`` translates them) and the locale's way of writing numbers and dates
(:mod:`.formatting`). Pages reach them through :mod:`inspect_app.web.i18n`; exports and
the command line call them with the locale they were given.
"""
from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from . import formatting

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


@functools.cache
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (English, the message ids, has none)."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def gettext(text: str, locale: str, /, **params: Any) -> str:
    """``text`` in ``locale``, with ``%(name)s`` placeholders filled from ``params``."""
    translated = catalogue(locale).gettext(text)
    return translated % params if params else translated


def translate(message: Any, locale: str) -> str:
    """A domain :class:`~inspect_app.domain.messages.Message` in ``locale``: its template
    through the catalogue, numbers written the locale's way (every decimal: "got 0,125",
    not 0,13), nested messages translated too. Plain strings come back as they are."""
    from ..domain.messages import Message

    if not isinstance(message, Message):
        return str(message)
    params = {}
    for key, value in message.params.items():
        if isinstance(value, Message):
            value = translate(value, locale)
        elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            value = formatting.exact(value, locale)
        params[key] = value
    if not message.template:
        return ""
    return gettext(message.template, locale, **params)
