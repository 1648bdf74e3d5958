-- Sign-ups waiting for their e-mail address to be confirmed (when comark can send e-mail),
-- so that the sign-up form never reveals whether an address already has an account.
CREATE TABLE signup_confirmations (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
