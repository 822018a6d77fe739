"""The stand-in's few pages: the hosted pay page, a front page, their stylesheet."""

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Pay {{ total }} · Stripe stand-in</title>
  <link rel="stylesheet" href="{{ url_for('stripe_pay_page.stylesheet') }}">
</head>
<body>
<main>
  <p class="badge">Test mode · local Stripe stand-in</p>
  {% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
  {% if session %}
  <h1>Pay {{ total }}</h1>
  {% if session.customer_email %}<p>Receipt to <strong>{{ session.customer_email }}</strong></p>{% endif %}
  <table aria-label="Order summary">
    <thead><tr><th scope="col">Item</th><th scope="col">Qty</th><th scope="col">Amount</th></tr></thead>
    <tbody>
    {% for item in items %}
      <tr><td>{{ item.description }}</td><td>{{ item.quantity }}</td><td>{{ money(item.amount_subtotal) }}</td></tr>
    {% endfor %}
    </tbody>
    <tfoot>
    {% if summary.itemised %}
      <tr><th scope="row" colspan="2">Subtotal</th><td data-figure="subtotal">{{ money(summary.subtotal) }}</td></tr>
      {% if summary.discount or summary.code %}<tr><th scope="row" colspan="2">Discount{% if summary.code %} ({{ summary.code }}){% endif %}</th><td data-figure="discount">−{{ money(summary.discount) }}</td></tr>{% endif %}
      {% if summary.shipping is not none %}<tr><th scope="row" colspan="2">Shipping</th><td data-figure="shipping">{{ money(summary.shipping) }}</td></tr>{% endif %}
      {% if summary.taxed %}<tr><th scope="row" colspan="2">Tax</th><td data-figure="tax">{% if summary.tax is none %}Calculated from the address{% else %}{{ money(summary.tax) }}{% endif %}</td></tr>{% endif %}
    {% endif %}
      <tr><th scope="row" colspan="2">Total</th><td data-figure="total">{{ total }}</td></tr>
    </tfoot>
  </table>
  {% if session.status == "open" %}
  <form method="post" action="{{ url_for('stripe_pay_page.submit', session_id=session.id) }}">
    {% if not session.customer_email and not session.customer %}
    <p class="field"><label for="email">Email (optional)</label>
      <input id="email" name="email" type="email" autocomplete="email" value="{{ answers.email or '' }}"></p>
    {% endif %}
    {% if session.shipping_address_collection %}
    <fieldset>
      <legend>Shipping address</legend>
      <p class="field"><label for="name">Full name</label>
        <input id="name" name="name" autocomplete="name" value="{{ answers.name or '' }}"></p>
      <p class="field"><label for="line1">Address line 1</label>
        <input id="line1" name="line1" autocomplete="address-line1" value="{{ answers.address.line1 or '' }}"></p>
      <p class="field"><label for="line2">Address line 2 (optional)</label>
        <input id="line2" name="line2" autocomplete="address-line2" value="{{ answers.address.line2 or '' }}"></p>
      <p class="field"><label for="city">City</label>
        <input id="city" name="city" autocomplete="address-level2" value="{{ answers.address.city or '' }}"></p>
      <p class="field"><label for="state">State or province</label>
        <input id="state" name="state" autocomplete="address-level1" value="{{ answers.address.state or '' }}"></p>
      <p class="field"><label for="postal_code">Postal code</label>
        <input id="postal_code" name="postal_code" autocomplete="postal-code" value="{{ answers.address.postal_code or '' }}"></p>
      <p class="field"><label for="country">Country</label>
        <select id="country" name="country" autocomplete="country">
        {% for code in session.shipping_address_collection.allowed_countries %}
          <option value="{{ code }}"{% if code == answers.address.country %} selected{% endif %}>{{ country_name(code) }}</option>
        {% endfor %}
        </select></p>
    </fieldset>
    {% endif %}
    {% if session.phone_number_collection.enabled %}
    <p class="field"><label for="phone">Phone number</label>
      <input id="phone" name="phone" type="tel" autocomplete="tel" value="{{ answers.phone or '' }}"></p>
    {% endif %}
    {% if rates %}
    <fieldset>
      <legend>Shipping method</legend>
      {% for rate in rates %}
      <p class="option"><input type="radio" id="rate-{{ loop.index }}" name="shipping_rate" value="{{ rate.id }}"{% if rate.id == chosen_rate %} checked{% endif %}>
        <label for="rate-{{ loop.index }}">{{ rate.display_name }} · {{ money(rate.fixed_amount.amount) if rate.fixed_amount.amount else "Free" }}{% if estimate(rate) %} · {{ estimate(rate) }}{% endif %}</label></p>
      {% endfor %}
    </fieldset>
    {% endif %}
    {% if session.allow_promotion_codes %}
    <p class="field"><label for="promotion_code">Promotion code</label>
      <input id="promotion_code" name="promotion_code" autocomplete="off" value="{{ answers.promotion_code or '' }}">
      <button name="action" value="apply">Apply</button></p>
    {% endif %}
    {% if rates or session.shipping_address_collection or session.automatic_tax.enabled %}
    <button name="action" value="update">Update total</button>
    {% endif %}
    <p class="card">Card: Visa •••• 4242 (test card, always succeeds)</p>
    <button name="action" value="card" class="primary">Pay {{ total }}</button>
    <button name="action" value="bank_transfer">Pay by bank transfer</button>
    <button name="action" value="cancel" class="link">Cancel</button>
  </form>
  {% else %}
  <p>This Checkout Session is <strong>{{ session.status }}</strong>{% if session.status == "complete" %} ({{ session.payment_status }}){% endif %}.</p>
  {% endif %}
  {% endif %}
</main>
</body>
</html>
"""

INDEX = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Stripe stand-in</title>
  <link rel="stylesheet" href="{{ url_for('stripe_pay_page.stylesheet') }}">
</head>
<body>
<main class="wide">
  <p class="badge">Test mode · local Stripe stand-in</p>
  <h1>Checkout Sessions</h1>
  <table>
    <thead><tr><th scope="col">Session</th><th scope="col">Email</th><th scope="col">Total</th><th scope="col">Status</th></tr></thead>
    <tbody>
    {% for s in sessions %}
      <tr><td><a href="{{ url_for('stripe_pay_page.show', session_id=s.id) }}">{{ s.id[:20] }}…</a></td>
          <td>{{ s.customer_email or "" }}</td><td>{{ s.amount_total }} {{ s.currency|upper }}</td>
          <td>{{ s.status }} / {{ s.payment_status }}</td></tr>
    {% else %}
      <tr><td colspan="4">None yet.</td></tr>
    {% endfor %}
    </tbody>
  </table>
  <h1>Webhook deliveries</h1>
  <p>To {{ target or "nowhere (no --webhook-url)" }}. JSON: <a href="/_standin/webhooks">/_standin/webhooks</a>; every control endpoint: <a href="/_standin/">/_standin/</a>.</p>
  <table>
    <thead><tr><th scope="col">Event</th><th scope="col">State</th><th scope="col">Answers</th></tr></thead>
    <tbody>
    {% for d in deliveries %}
      <tr><td>{{ d.type }}</td><td>{{ d.state }}</td><td>{{ d.attempts|map(attribute="status")|join(", ") }}</td></tr>
    {% else %}
      <tr><td colspan="3">None yet.</td></tr>
    {% endfor %}
    </tbody>
  </table>
</main>
</body>
</html>
"""

STYLESHEET = """
body { font-family: system-ui, sans-serif; background: #f6f9fc; color: #1a1f36; margin: 0; }
main.wide { max-width: 60rem; }
main { max-width: 32rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 2px 8px rgba(0, 0, 0, .08); }
.badge { display: inline-block; background: #ffde92; padding: .2rem .6rem; border-radius: 4px;
         font-size: .8rem; }
.error { background: #fde8e8; color: #8a1c1c; padding: .6rem; border-radius: 4px; }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
th, td { text-align: left; padding: .4rem 0; border-bottom: 1px solid #e3e8ee; }
th:last-child, td:last-child, tfoot td { text-align: right; }
button { display: block; width: 100%; margin: .5rem 0; padding: .8rem; font-size: 1rem;
         border: 1px solid #c1c9d2; border-radius: 6px; background: #fff; cursor: pointer; }
button.primary { background: #635bff; color: #fff; border-color: #635bff; }
button.link { border: none; text-decoration: underline; }
fieldset { border: 1px solid #e3e8ee; border-radius: 6px; margin: 1rem 0; padding: .6rem 1rem; }
.field label { display: block; font-size: .9rem; margin-bottom: .2rem; }
.field input, .field select { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem;
                              border: 1px solid #c1c9d2; border-radius: 6px; }
.option { margin: .4rem 0; }
"""
