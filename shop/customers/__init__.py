"""Customer data requests (GDPR): export everything held about an email address, or erase it."""
