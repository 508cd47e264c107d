"""Authentication (sessions, API tokens), route policies, CSRF and sign-in throttling."""
