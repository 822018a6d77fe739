"""Staff accounts: roles, password login for the admin panel, bearer tokens for the API."""
