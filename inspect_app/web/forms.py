"""The base of every form of the web layer: WTForms' own messages in the user's language.

WTForms ships no Vietnamese catalogue, so its validators said "This field is required."
on Vietnamese pages. :class:`Form` (a ``FlaskForm``) hands WTForms the app's catalogue
instead; the messages of WTForms and Flask-WTF that our forms can show are written out in
:func:`_messages` so that ``make messages`` extracts them, and are translated there with
the others (tests/test_i18n.py checks that nothing is left untranslated).

Every text box of every form is measured as it will be stored: :meth:`Form.Meta.bind_field`
puts :func:`typed_text` (domain/text.as_stored: CR LF → LF, NFC, stripped) before the
field's own filters, so that a ``Length`` check counts what the services' cleaner
(domain/text.clean_text) counts, not the CR LF a browser sends for each line break.
"""
from __future__ import annotations

from flask import g
from flask_babel import get_translations, gettext, ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField

from ..domain.text import as_stored


class _AppTranslations:
    """What WTForms asks of a translations object, answered by the app's catalogue (the
    catalogue itself: WTForms fills the placeholders afterwards)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


_TRANSLATIONS = _AppTranslations()


def typed_text(value):
    """The filter of every text box: the text as it will be stored (see the module)."""
    return as_stored(value) if isinstance(value, str) else value


class Form(FlaskForm):
    """A ``FlaskForm`` whose built-in messages come from the app's catalogue and whose
    text boxes hold their text as it will be stored."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS

        def bind_field(self, form, unbound_field, options):
            field = unbound_field.bind(form=form, **options)
            # passwords are kept as typed; hidden fields carry machine values
            if isinstance(field, StringField) and not isinstance(
                    field, (PasswordField, HiddenField)):
                field.filters = (typed_text, *field.filters)
            return field


def stripped(value):
    """A field filter: the text without the spaces around it, before its length is checked
    (a phone keyboard adds a space after a word, a copy from a letter brings one)."""
    return value.strip() if isinstance(value, str) else value


def _messages() -> None:  # pragma: no cover - never called: read by `make messages`
    """The texts of WTForms' and Flask-WTF's validators and fields our forms use (as
    WTForms 3.3 and Flask-WTF 1.3 write them), so that the catalogue has them."""
    gettext("This field is required.")
    ngettext("Field must be at least %(min)d character long.",
             "Field must be at least %(min)d characters long.", 1)
    ngettext("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.", 1)
    ngettext("Field must be exactly %(max)d character long.",
             "Field must be exactly %(max)d characters long.", 1)
    gettext("Field must be between %(min)d and %(max)d characters long.")
    gettext("Invalid URL.")
    gettext("Not a valid choice.")
    gettext("Invalid Choice: could not coerce.")
    gettext("Invalid choice(s): one or more data inputs could not be coerced.")
    ngettext("'%(value)s' is not a valid choice for this field.",
             "'%(value)s' are not valid choices for this field.", 1)
    gettext("File does not have an approved extension.")


def first_refused() -> bool:
    """True once per request: for the first refused field a page draws (the field macro of
    ``_macros.html`` gives it the focus, so that a page sent back without JavaScript
    starts at what to correct, its error read out)."""
    if g.get("_refused_focused"):
        return False
    g._refused_focused = True
    return True
