"""The product page's forms (CSRF-protected): review, question, reply.

Each has a honeypot field (`company`) that people never see; bots fill it in. Messages are
those of the API, from `validation`.
"""
from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
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

    def entry_data(self) -> dict:
        return {**super().entry_data(), "rating": self.rating.data}


class QuestionForm(_EntryForm):
    website = StringField("Website (optional)", validators=[valid_website])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="question", **kwargs)
        self.body.label.text = "Your question"


class ReplyForm(_EntryForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="reply", **kwargs)
        self.body.label.text = "Your reply"


# --- blank forms, rendered without instantiating WTForms on every page view -----------------
# The product page shows a review form, a question form and a reply form under every thread.
# Nobody has typed into them, so their HTML depends only on the form class, the attributes
# the template passes and the CSRF token. A `BlankForm` renders each field once per process
# through WTForms itself (with a placeholder id), then reuses that HTML; the CSRF token is the
# request's own. A POST is still validated by the real form, and a form with errors is shown
# as the real form.

_ID = "__blank_field_id__"


class BlankField:
    def __init__(self, field):
        self._field = field
        self.id, self.name, self.label = field.id, field.name, field.label
        self.errors: tuple = ()
        self._html: dict = {}
        self._options = [BlankField(option) for option in field] if isinstance(field, RadioField) else None

    def __call__(self, **attrs) -> Markup:
        field_id = attrs.pop("id", self.id)
        key = tuple(sorted(attrs.items()))
        html = self._html.get(key)
        if html is None:
            html = self._html[key] = str(self._field(id=_ID, **attrs))
        # WTForms rendered (and escaped) the field; the id put in is escaped here.
        return Markup(html.replace(_ID, str(escape(field_id))))  # nosec B704

    def __html__(self) -> str:
        return self()

    def __iter__(self):
        return iter(self._options or ())


class BlankForm:
    def __init__(self, form):
        self._prefix = form._prefix
        self._fragments: dict[str, Markup] = {}
        for field in form:
            setattr(self, field.short_name, BlankField(field))

    @property
    def csrf_token(self) -> Markup:
        if not current_app.config.get("WTF_CSRF_ENABLED", True):
            return Markup("")
        name = f"{self._prefix}csrf_token"
        # The name is the form's own prefix; the token is escaped.
        return Markup(f'<input id="{name}" name="{name}" type="hidden" value="{escape(generate_csrf())}">')  # nosec B704


def blank_form(form_class: type[FlaskForm]) -> BlankForm:
    """An empty `form_class` to render, built once per app and process (thread-safe: read-only)."""
    forms = current_app.extensions.setdefault("blank_review_forms", {})
    form = forms.get(form_class)
    if form is None:
        form = forms[form_class] = BlankForm(form_class(formdata=None, meta={"csrf": False}))
    return form


MAX_FRAGMENTS = 4096  # reply forms differ by the entry they answer; a bound keeps memory flat


def blank_fragment(form, key: str, caller) -> Markup:
    """What `caller()` renders for `form` (a `{% call %}` block of fields without the CSRF token).

    For a blank form that HTML never changes, so it is rendered once per process and `key`;
    a posted form (the visitor's input and its errors) is rendered every time.
    """
    if not isinstance(form, BlankForm):
        return caller()
    html = form._fragments.get(key)
    if html is None:
        # Jinja's autoescaped output of the call block.
        html = Markup(caller())  # nosec B704
        if len(form._fragments) < MAX_FRAGMENTS:
            form._fragments[key] = html
    return html
