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
  <table>
    <thead><tr><th scope="col">Item</th><th scope="col">Qty</th><th scope="col">Amount</th></tr></thead>
    <tbody>
    {% for item in items %}
      <tr><td>{{ item.description }}</td><td>{{ item.quantity }}</td><td>{{ money(item.amount_total) }}</td></tr>
    {% endfor %}
    </tbody>
    <tfoot><tr><th scope="row" colspan="2">Total</th><td>{{ total }}</td></tr></tfoot>
  </table>
  {% if session.status == "open" %}
  <form method="post" action="{{ url_for('stripe_pay_page.submit', session_id=session.id) }}">
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
td:last-child, tfoot td { text-align: right; }
button { display: block; width: 100%; margin: .5rem 0; padding: .8rem; font-size: 1rem;
         border: 1px solid #c1c9d2; border-radius: 6px; background: #fff; cursor: pointer; }
button.primary { background: #635bff; color: #fff; border-color: #635bff; }
button.link { border: none; text-decoration: underline; }
"""
