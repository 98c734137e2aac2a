"""Languages in pages: Vietnamese by default, English on a switch (Flask-Babel glue).

The chosen language is kept in the session (``lang``); the catalogues live in
``inspect_app/translations`` (message ids are English, ``vi`` translates them).
Template filters format numbers, percents and dates the way the locale expects.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, get_locale
from markupsafe import Markup

from .. import i18n
from ..domain import criteria
from ..i18n import LANGUAGES, formatting, words

babel = Babel()


def select_locale() -> str:
    """The session's language if set, else the configured default (not the browser's)."""
    lang = session.get("lang") if request else None
    if lang in LANGUAGES:
        return lang
    return current_app.config["DEFAULT_LOCALE"]


def current_locale() -> str:
    """The language of the current request ("vi" or "en"), as text once per locale that
    Flask-Babel selected for this context (pages ask for it for every number they write;
    ``force_locale`` and ``refresh`` change Flask-Babel's, and so this)."""
    try:
        locale, text = g._inspect_locale
        if locale is g._flask_babel.babel_locale:
            return text
    except AttributeError:
        pass
    locale = get_locale()
    text = str(locale or current_app.config["DEFAULT_LOCALE"])
    g._inspect_locale = (locale, text)
    return text


#: The hidden field of every form that shows numbers written the locale's way and reads
#: them back (a section, an appraisal): the language its page wrote them in. The session's
#: language may have changed since (another tab); "3.200" written in vi is still 3200.
NUMBERS_LOCALE_FIELD = "numbers_locale"


def written_locale(formdata: Any) -> str:
    """The language the numbers of a submitted form were written in: its
    :data:`NUMBERS_LOCALE_FIELD` when that is one of :data:`LANGUAGES` (anything else is
    ignored), else the request's language (a page sent before the field existed)."""
    lang = formdata.get(NUMBERS_LOCALE_FIELD) if formdata is not None else None
    return lang if lang in LANGUAGES else current_locale()


#: The language checklists are written in (their titles, texts, options and labels).
CHECKLIST_LOCALE = "vi"
_MARKS = {True: Markup(""), False: Markup(f' lang="{CHECKLIST_LOCALE}"')}


def checklist_lang() -> Markup:
    """The attribute that marks a checklist's words on a page of another language
    (`` lang="vi"`` on an English page, so that a screen reader reads them in Vietnamese),
    or nothing."""
    return _MARKS[current_locale() == CHECKLIST_LOCALE]


def texts_per_locale(build: Callable[[], dict[str, str]]) -> Callable[[], dict[str, str]]:
    """A function that translates a fixed table of texts (those handed to scripts), run
    once per language and kept; each call gets its own copy."""
    done: dict[str, dict[str, str]] = {}

    @functools.wraps(build)
    def cached() -> dict[str, str]:
        locale = current_locale()
        texts = done.get(locale)
        if texts is None:
            texts = done[locale] = build()
        return dict(texts)

    cached.cache_clear = done.clear  # type: ignore[attr-defined]
    return cached


def init_app(app: Flask) -> None:
    """Configure Flask-Babel and register the formatting filters."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    babel.init_app(app, locale_selector=select_locale)

    def _fmt(func):
        def wrapped(value: Any, *args: Any, **kwargs: Any) -> str:
            return func(value, current_locale(), *args, **kwargs)
        return wrapped

    app.add_template_filter(_fmt(formatting.number), "number")
    app.add_template_filter(_fmt(formatting.exact), "exact")  # every decimal it has
    app.add_template_filter(_fmt(formatting.percent), "percent")
    app.add_template_filter(  # a stored moment is the day it was in the province's zone
        lambda value: formatting.date(value, current_locale(), app.config["TIMEZONE"]), "date")
    app.add_template_filter(
        lambda value: formatting.datetime(value, current_locale(), app.config["TIMEZONE"]),
        "datetime")
    app.add_template_filter(formatting.roman, "roman")
    # an answer in words (i18n/words.py: the same words as documents and Excel)
    app.add_template_global(lambda c, a, line=None: words.words(c, a, line, current_locale()),
                            "answer_words")
    app.add_template_global(lambda c: words.rules_words(c, current_locale()), "criterion_rules")
    app.add_template_global(lambda c: criteria.get(c.type).sign, "points_sign")
    app.add_template_global(checklist_lang, "checklist_lang")
    app.add_template_global(
        lambda c, a, line=None: words.value_words(c, a, line, current_locale()), "value_words")

    @app.context_processor
    def _languages() -> dict[str, Any]:
        return {"LANGUAGES": LANGUAGES, "current_locale": current_locale,
                "NUMBERS_LOCALE_FIELD": NUMBERS_LOCALE_FIELD}


def translate(message: Any, locale: str | None = None) -> str:
    """A domain message in ``locale`` (default: the request's language); see
    :func:`inspect_app.i18n.translate`."""
    return i18n.translate(message, locale or current_locale())
