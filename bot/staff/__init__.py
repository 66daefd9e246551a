"""Staff pages: sign-in, front-desk handoffs, the partner portal, accounts."""
