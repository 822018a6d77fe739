"""Shipping rates the store offers at Stripe Checkout (`services.offered_rates`).

Rates live here, not at Stripe: each checkout sends the active ones inline as
`shipping_options[][shipping_rate_data]`, so a rate edited in the admin applies to the next
checkout, and a rate whose free-over threshold the items reach is offered at 0 without a second
Stripe object. Stripe keeps the rate the customer chose with the session; the webhook records it.
"""
