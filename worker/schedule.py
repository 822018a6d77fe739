"""The periodic work, in code so every deployment runs the same schedule (`celery -A worker beat`)."""

DISPATCH_FOLLOWUPS_SECONDS = 60.0
SWEEP_STALE_CHECKOUTS_SECONDS = 600.0
RECONCILE_WITH_STRIPE_SECONDS = 86400.0
RENEWAL_NOTICES_SECONDS = 3600.0
PENDING_MOVES_SECONDS = 900.0
FORGET_SPENT_SIGN_INS_SECONDS = 3600.0
APPLY_RETENTION_SECONDS = 86400.0


def beat_schedule(config) -> dict:
    """Beat's schedule for the Flask settings `config`.

    - follow-up emails due: every minute, so a dose email goes out within a minute of its time;
    - checkouts that never got a Stripe session: every 10 minutes (their stock goes back);
    - emails whose worker died: every EMAIL_SWEEP_SECONDS (60); with the claim lease (120 s) that
      bounds how late such an email goes out (about three minutes);
    - reconciliation with Stripe (payments and refunds a lost webhook never told us): daily;
    - "your next bottle ships on" notices for renewals within RENEWAL_NOTICE_DAYS: hourly;
    - renewal moves Stripe refused or could not take: every 15 minutes, until it takes them;
    - customers' sign-in links used or expired, and their ended sessions: hourly;
    - retention (settled follow-ups, sent emails' bodies, old webhook events): daily.
    """
    return {
        "dispatch-due-followups": {
            "task": "shop.followups.tasks.dispatch_due_followups",
            "schedule": DISPATCH_FOLLOWUPS_SECONDS,
        },
        "sweep-stale-checkouts": {
            "task": "shop.payments.tasks.sweep_stale_checkouts",
            "schedule": SWEEP_STALE_CHECKOUTS_SECONDS,
        },
        "resend-stranded-emails": {
            "task": "shop.emails.tasks.resend_stranded_emails",
            "schedule": float(config["EMAIL_SWEEP_SECONDS"]),
        },
        "reconcile-with-stripe": {
            "task": "shop.payments.tasks.reconcile_with_stripe",
            "schedule": RECONCILE_WITH_STRIPE_SECONDS,
        },
        "send-renewal-notices": {
            "task": "shop.subscriptions.tasks.send_renewal_notices",
            "schedule": RENEWAL_NOTICES_SECONDS,
        },
        "retry-pending-renewal-moves": {
            "task": "shop.subscriptions.tasks.retry_pending_moves",
            "schedule": PENDING_MOVES_SECONDS,
        },
        "forget-spent-sign-ins": {
            "task": "shop.customers.tasks.forget_spent_sign_ins",
            "schedule": FORGET_SPENT_SIGN_INS_SECONDS,
        },
        "apply-retention": {
            "task": "shop.retention.tasks.apply_retention",
            "schedule": APPLY_RETENTION_SECONDS,
        },
    }
