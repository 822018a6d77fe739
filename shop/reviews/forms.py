"""The product page's forms (CSRF-protected): review, question, reply.

Each has a honeypot field (`company`) that people never see; bots fill it in. Messages are
those of the API, from `validation`.
"""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from shop.reviews import validation as v


def required_text(max_length: int | None):
    def check(form, field):
        field.data = v.clean_text(field.data)
        if not field.data:
            raise StopValidation(v.REQUIRED)
        if max_length and len(field.data) > max_length:
            raise StopValidation(v.too_long(max_length))
    return check


def valid_email(form, field):
    try:
        field.data = v.normalise_email(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def valid_website(form, field):
    field.data = v.clean_text(field.data) or None
    if field.data is None:
        return
    try:
        field.data = v.normalise_website(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def valid_rating(form, field):
    field.data = (field.data or "").strip()
    if not field.data:
        raise StopValidation(v.REQUIRED)
    if field.data not in {"1", "2", "3", "4", "5"}:
        raise StopValidation(v.RATING_INVALID)
    field.data = int(field.data)


class _EntryForm(FlaskForm):
    name = StringField("Name (shown)", validators=[required_text(v.NAME_MAX)])
    email = StringField("Email (never shown)", validators=[required_text(None), valid_email])
    body = TextAreaField("", validators=[required_text(v.BODY_MAX)])
    company = StringField("Leave this field empty")  # the honeypot

    @property
    def is_bot(self) -> bool:
        return bool((self.company.data or "").strip())

    def entry_data(self) -> dict:
        data = {"name": self.name.data, "email": self.email.data, "body": self.body.data}
        if hasattr(self, "website"):
            data["website"] = self.website.data
        return data


class ReviewForm(_EntryForm):
    rating = RadioField("Your rating", validate_choice=False, validators=[valid_rating],
                        choices=[SelectChoice(str(n), f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)])
    website = StringField("Website (optional)", validators=[valid_website])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="review", **kwargs)
        self.body.label.text = "Your review"


class QuestionForm(_EntryForm):
    website = StringField("Website (optional)", validators=[valid_website])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="question", **kwargs)
        self.body.label.text = "Your question"


class ReplyForm(_EntryForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="reply", **kwargs)
        self.body.label.text = "Your reply"
