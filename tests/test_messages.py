"""Domain messages: English text for logs and the command line, translated at the edge."""
from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

from inspect_app.domain.messages import N_, Message, criterion_label, joined
from inspect_app.web.i18n import translate


def test_a_message_is_its_english_text():
    message = N_("%(count)s criteria are unanswered", count=3)
    assert message == "3 criteria are unanswered" and isinstance(message, str)
    assert message.template == "%(count)s criteria are unanswered"
    assert pickle.loads(pickle.dumps(message)).params == {"count": 3}


def test_joined_keeps_each_part():
    message = joined([N_("a %(x)s", x=1), "b"])
    assert message == "a 1; b"


@pytest.mark.parametrize("lang, expected", [
    ("vi", "Không hiểu được yêu cầu."),
    ("en", "The request could not be understood."),
])
def test_translate_uses_the_catalogue_of_the_language(app, lang, expected):
    with app.test_request_context():
        assert translate(N_("The request could not be understood."), lang) == expected


@pytest.mark.parametrize("lang, expected", [("vi", "3.200,5"), ("en", "3,200.5")])
def test_numbers_in_a_message_follow_the_locale(app, lang, expected):
    with app.test_request_context():
        assert translate(N_("got %(value)s", value=Decimal("3200.5")), lang) == f"got {expected}"


def test_plain_text_passes_through(app):
    with app.test_request_context():
        assert translate("as is") == "as is"


def test_a_criterion_is_named_by_number_and_text():
    class C:
        id, text = "1.2", "Ban hành kế hoạch CCHC năm đúng thời hạn"
    assert criterion_label(C()) == "1.2 Ban hành kế hoạch CCHC năm đúng thời hạn"
    assert isinstance(N_("x"), Message)
