"""Every email the store sends: composed from templates/emails/, logged, sent after commit."""
