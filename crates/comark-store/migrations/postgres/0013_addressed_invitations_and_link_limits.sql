-- Security hardening (issue 10). An invitation for an address is accepted only by the account
-- with that address, which needs a notion of a proven address.
-- Kept in step with the sqlite folder: same tables, same columns.

-- When the account proved that it receives mail at its address: a confirmed sign-up, a
-- password reset through the e-mailed link, or an e-mailed invitation it accepted.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
-- Accounts that proved their address before the column existed keep the proof.
UPDATE users SET email_verified_at = (
    SELECT MIN(s.used_at) FROM signup_confirmations s
    WHERE s.email = users.email AND s.used_at IS NOT NULL
);
UPDATE users SET email_verified_at = (
    SELECT MIN(r.used_at) FROM password_resets r
    WHERE r.user_id = users.id AND r.used_at IS NOT NULL
)
WHERE email_verified_at IS NULL;

-- Whether the invitation's link went out by e-mail (rather than being shown to the inviter):
-- only then does opening it prove the invitee's inbox.
ALTER TABLE invitations ADD COLUMN mailed BOOLEAN NOT NULL DEFAULT FALSE;
