"""WTForms for the admin screens. They check shape (required, types); services check the rules."""
import secrets

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    DateTimeLocalField,
    HiddenField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, ValidationError

from shop.accounts.models import ROLES
from shop.accounts.services import PASSWORD_MIN_LENGTH
from shop.catalog.models import STEP_KINDS
from shop.fulfilment.schemas import CONTROL_CHARACTERS_MESSAGE, has_control_characters
from shop.money import DEFAULT_CURRENCY

REQUIRED = "Required field missing"


class FiniteDecimalField(DecimalField):
    """A decimal number a person typed: "inf", "-inf" and "nan" are not amounts."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


class LoginForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(REQUIRED), Length(max=500)])


class CodeForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""
    code = StringField("Code", validators=[DataRequired(REQUIRED), Length(max=40)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(REQUIRED)])
    new_password = PasswordField("New password", description=f"At least {PASSWORD_MIN_LENGTH} characters.",
                                 validators=[DataRequired(REQUIRED), Length(min=PASSWORD_MIN_LENGTH, max=500)])
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired(REQUIRED), EqualTo("new_password", "The two new passwords differ")],
    )


class StaffForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(REQUIRED), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=list(ROLES))
    password = PasswordField(
        "Password", description=f"At least {PASSWORD_MIN_LENGTH} characters; they can change it after signing in.",
        validators=[DataRequired(REQUIRED), Length(min=PASSWORD_MIN_LENGTH, max=500)],
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=list(ROLES))


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(REQUIRED), Length(max=120)])


class ProductForm(FlaskForm):
    slug = StringField("Slug", validators=[DataRequired(REQUIRED), Length(max=120)])
    name = StringField("Name", validators=[DataRequired(REQUIRED), Length(max=200)])
    summary = StringField("Summary", validators=[Optional(), Length(max=500)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    # Shown as stored: 24.50 for usd, 500 for jpy (places follow the currency, shop.money).
    price = FiniteDecimalField("Price", places=None, validators=[InputRequired(REQUIRED)])
    currency = StringField("Currency", default=DEFAULT_CURRENCY, validators=[DataRequired(REQUIRED), Length(min=3, max=3)])
    capsules_per_bottle = IntegerField("Capsules per bottle", validators=[InputRequired(REQUIRED)])
    serving_capsules = IntegerField("Capsules per serving", validators=[InputRequired(REQUIRED)])
    stock = IntegerField("Stock", default=0, validators=[InputRequired(REQUIRED)])
    guarantee_days = IntegerField("Guarantee days", default=0, validators=[InputRequired(REQUIRED)])
    disclaimer = TextAreaField("Disclaimer", validators=[Optional(), Length(max=5000)])
    tax_code = StringField("Stripe tax code", validators=[Optional(), Length(max=40)])
    subscription_discount_percent = IntegerField("Subscribe & save discount (%)", validators=[Optional()])
    published = BooleanField("Published")
    # This product's own advice, on its page and in its follow-up emails.
    dose_timing = StringField("When to take it", validators=[Optional(), Length(max=200)])
    side_effect_advice = TextAreaField("Side effects: what they mean", validators=[Optional(), Length(max=2000)])
    stopping_advice = TextAreaField("Stopping", validators=[Optional(), Length(max=2000)])
    see_doctor_if = TextAreaField("See a doctor if they have", validators=[Optional(), Length(max=2000)])
    # The Supplement Facts panel (its rows are the ingredients).
    serving_size = StringField("Serving size", validators=[Optional(), Length(max=100)])
    servings_per_container = IntegerField("Servings per container", validators=[Optional()])
    other_ingredients = TextAreaField("Other ingredients", validators=[Optional(), Length(max=2000)])
    allergens = TextAreaField("Allergens", validators=[Optional(), Length(max=1000)])
    warnings = TextAreaField("Warnings", validators=[Optional(), Length(max=5000)])


class ShippingRateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(REQUIRED), Length(max=100)])
    amount = FiniteDecimalField("Price", places=None, validators=[InputRequired(REQUIRED)])
    currency = StringField("Currency", default="usd", validators=[DataRequired(REQUIRED), Length(min=3, max=3)])
    min_business_days = IntegerField("Delivery from (business days)", validators=[Optional()])
    max_business_days = IntegerField("Delivery to (business days)", validators=[Optional()])
    free_over = FiniteDecimalField("Free when the items come to at least", places=None, validators=[Optional()])
    sort_order = IntegerField("Position", default=0, validators=[Optional()])
    active = BooleanField("Offered at checkout", default=True)


class PromotionCodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(REQUIRED), Length(max=40)])
    percent_off = IntegerField("Percent off", validators=[Optional()])
    amount_off = FiniteDecimalField("Amount off", places=None, validators=[Optional()])
    currency = StringField("Currency of the amount off", validators=[Optional(), Length(max=3)])
    # Local time of the store (SHOP_TIMEZONE); empty means it never expires.
    expires_at = DateTimeLocalField("Expires at", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    max_redemptions = IntegerField("Redemptions allowed", validators=[Optional()])
    first_order_only = BooleanField("Only for a customer's first order")


class IngredientRowForm(Form):
    """One line of the ingredients editor; a blank line adds nothing."""

    position = IntegerField("Order", validators=[Optional()])
    name = StringField("Ingredient", validators=[Optional(), Length(max=200)])
    amount = FiniteDecimalField("Amount", places=3, validators=[Optional()])
    unit = StringField("Unit", validators=[Optional(), Length(max=20)])
    daily_value_percent = IntegerField("% Daily Value", validators=[Optional()])
    remove = BooleanField("Remove")

    def is_blank(self) -> bool:
        return not (self.name.data or "").strip() and self.amount.data is None and not (self.unit.data or "").strip()


class IngredientsForm(FlaskForm):
    rows = FieldList(FormField(IngredientRowForm), min_entries=1, max_entries=60)


class StepRowForm(Form):
    """One step of the plan editor; a blank line adds nothing."""

    position = IntegerField("Order", validators=[Optional()])
    day = IntegerField("Day", validators=[Optional()])
    capsules = IntegerField("Capsules", validators=[Optional()])
    kind = SelectField("Kind", choices=list(STEP_KINDS))
    note = StringField("Note", validators=[Optional(), Length(max=2000)])
    remove = BooleanField("Remove")

    def is_blank(self) -> bool:
        return self.day.data is None and self.capsules.data is None and not (self.note.data or "").strip()


class PlanForm(FlaskForm):
    rows = FieldList(FormField(StepRowForm), min_entries=1, max_entries=60)


class StepForm(FlaskForm):
    day = IntegerField("Day", validators=[InputRequired(REQUIRED)])
    capsules = IntegerField("Capsules", validators=[InputRequired(REQUIRED)])
    kind = SelectField("Kind", choices=list(STEP_KINDS))
    note = StringField("Note", validators=[Optional(), Length(max=2000)])


class PictureForm(FlaskForm):
    """A new picture of a product; the service decodes and checks the file itself."""
    picture = FileField("Picture (JPEG, PNG or WebP)")
    alt = StringField("Describe the picture (alt text)", validators=[Optional(), Length(max=300)])


class PictureAltForm(FlaskForm):
    alt = StringField("Alt text", validators=[Optional(), Length(max=300)])


class CollectionForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(REQUIRED), Length(max=200)])
    slug = StringField("Slug", validators=[DataRequired(REQUIRED), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    position = IntegerField("Order among collections", default=0, validators=[Optional()])
    published = BooleanField("Published", default=True)


class PolicyPageForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(REQUIRED), Length(max=200)])
    body = TextAreaField("Text", validators=[DataRequired(REQUIRED), Length(max=50_000)])


class BundleForm(FlaskForm):
    bottles = IntegerField("Bottles", validators=[InputRequired(REQUIRED)])
    price = FiniteDecimalField("Price for all of them", places=None, validators=[InputRequired(REQUIRED)])
    label = StringField("Label (empty: \"3 bottles, save 15%\")", validators=[Optional(), Length(max=100)])


def _single_line(form, field) -> None:
    if field.data and has_control_characters(field.data):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE)


class ShipForm(FlaskForm):
    carrier = StringField("Carrier", validators=[DataRequired(REQUIRED), Length(max=100), _single_line])
    tracking_number = StringField("Tracking number",
                                  validators=[DataRequired(REQUIRED), Length(max=100), _single_line])


class ShipmentsUploadForm(FlaskForm):
    """A CSV of shipments (columns order, carrier, tracking_number; see fulfilment.bulk)."""

    file = FileField("CSV file", validators=[FileRequired(REQUIRED)])


class DeliverForm(FlaskForm):
    # Local time of the store (SHOP_TIMEZONE); empty means now.
    delivered_at = DateTimeLocalField("Delivered at", format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def validate_delivered_at(self, field):
        if field.data is not None and field.data.year < 2000:
            raise ValidationError("That is not a plausible delivery date")


class ApproveClaimForm(FlaskForm):
    # Empty: everything still refundable. In the order's currency, e.g. 24.50.
    amount = FiniteDecimalField("Amount to refund", places=None, validators=[Optional(), NumberRange(min=0.01)])


class DenyClaimForm(FlaskForm):
    note = TextAreaField("Why the claim is denied", validators=[DataRequired(REQUIRED), Length(max=2000)])


class RefundOrderForm(FlaskForm):
    """A refund outside any claim; `request_key` (fresh on each page) makes a double submit refund once."""

    # Empty: everything still refundable. In the order's currency, e.g. 24.50.
    amount = FiniteDecimalField("Amount to refund", places=None, validators=[Optional(), NumberRange(min=0.01)])
    reason = TextAreaField("Reason", validators=[DataRequired(REQUIRED), Length(max=2000)])
    request_key = HiddenField(validators=[Optional(), Length(max=255)])


class CancelOrderForm(FlaskForm):
    reason = TextAreaField("Why the order is cancelled", validators=[DataRequired(REQUIRED), Length(max=2000)])
    request_key = HiddenField(validators=[Optional(), Length(max=255)])


REFUND_PREFIX, CANCEL_PREFIX = "refund", "cancel"  # two forms with a `reason` on one page


def refund_forms(refund_form=None, cancel_form=None) -> dict:
    """The order page's refund and cancel forms: the ones posted back, or fresh ones, each with
    a new request key."""
    return {
        "refund_form": refund_form or RefundOrderForm(formdata=None, prefix=REFUND_PREFIX,
                                                      request_key=secrets.token_urlsafe(16)),
        "cancel_form": cancel_form or CancelOrderForm(formdata=None, prefix=CANCEL_PREFIX,
                                                      request_key=secrets.token_urlsafe(16)),
    }


class AnswerForm(FlaskForm):
    body = TextAreaField("Answer", validators=[DataRequired(REQUIRED), Length(max=5000)])


def attach_service_errors(form, exc, fallback=None) -> None:
    """Show a service's refusal on the form: per field where it names one, else on `fallback`
    (a field of the form) or, without one, above the form."""
    placed = False
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
            placed = True
    if placed:
        return
    if fallback is not None:
        fallback.errors = list(fallback.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


class CancelSubscriptionForm(FlaskForm):
    """Cancel a subscription at Stripe and refund its latest paid order; `request_key` (fresh on
    each page) makes a double submit refund once."""

    reason = TextAreaField("Why the subscription is cancelled and refunded",
                           validators=[DataRequired(REQUIRED), Length(max=2000)])
    request_key = HiddenField(validators=[Optional(), Length(max=255)])
