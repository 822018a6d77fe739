"""What each policy page says until staff edit it: sensible starting points, in the page format
(shop.pages.text). The store's postal address and email are added to the contact page from
settings, so they are never out of date here."""

POLICY_SLUGS = ("privacy", "terms", "refunds", "shipping", "contact")
# How every storefront page's footer names them.
FOOTER_LABELS = {"privacy": "Privacy", "terms": "Terms", "refunds": "Refunds", "shipping": "Shipping",
                 "contact": "Contact"}

DEFAULT_PAGES = {
    "privacy": ("Privacy policy", """\
We collect only what we need to sell you our products and look after your order: your email
address, the shipping address you give at checkout, what you ordered, and the reviews or
questions you choose to post.

# What we use it for
- to take payment (through Stripe; we never see or keep your card number);
- to ship your order and send you its confirmation and dosing notes;
- to send check-ins and reminders, which you can unsubscribe from in any of them;
- to decide a money-back guarantee claim.

# Who else sees it
Stripe processes payments and our email provider delivers our emails. We never sell your data.

# Your rights
You may ask for a copy of what we hold about you, or for it to be deleted: write to us (see
[Contact](/pages/contact)). We keep order records as long as tax law requires."""),
    "terms": ("Terms of sale", """\
These terms apply to every order placed in this shop.

# Orders and prices
Prices are shown with their currency and include what is stated at checkout. An order is
accepted once payment is confirmed; we email you when it is.

# Our products
Our products are food supplements. They are not intended to diagnose, treat, cure or prevent any
disease, and they do not replace a varied diet or medical care. Read each product's warnings
before use.

# Guarantee and refunds
See our [refund policy](/pages/refunds).

# Contact
Questions about an order: see [Contact](/pages/contact)."""),
    "refunds": ("Refunds and money-back guarantee", """\
Products with a money-back guarantee show how many days it runs on their page, counted from
delivery.

# How to claim
Open your order page (the link is in your order confirmation) and claim the guarantee there,
within the guarantee period. We reply within two working days.

# How you are refunded
Approved refunds go back to the card you paid with, usually within 5–10 days depending on your
bank. You do not need to return opened bottles."""),
    "shipping": ("Shipping", """\
We ship every order within two working days of payment and email you the tracking number.

# Delivery times
- United States: 3–5 working days;
- elsewhere: 7–14 working days.

Shipping costs are shown at checkout, before you pay."""),
    "contact": ("Contact us", """\
Questions about an order, a product or a guarantee claim? Reply to any of our emails, or write to
us; we answer within two working days."""),
}
