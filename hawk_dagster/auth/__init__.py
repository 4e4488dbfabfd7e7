"""Who is calling: OIDC bearer tokens validated against the issuer's JWKS (the API), and the CLI's login."""
