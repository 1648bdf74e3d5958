-- Security hardening (issue 10). An invitation for an address is accepted only by the account
-- with that address, which needs a notion of a proven address; connection invite links get a
-- use limit, an expiry their creator chooses, a connect-at-once choice and a note, and can be
-- listed and revoked.
-- Kept in step with the postgres folder: same tables, same columns.

-- When the account proved that it receives mail at its address: a confirmed sign-up, a
-- password reset through the e-mailed link, or an e-mailed invitation it accepted.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;
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

-- Links made before this migration connected any number of organizations at once; from now
-- on each works once more at most, and asks its creator to accept.
ALTER TABLE connection_links ADD COLUMN max_uses INTEGER NOT NULL DEFAULT 1;
ALTER TABLE connection_links ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connection_links ADD COLUMN auto_accept BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE connection_links ADD COLUMN note TEXT;
ALTER TABLE connection_links ADD COLUMN last_used_at TEXT;

-- The invite link a connection came through, so its creator recognizes the request.
ALTER TABLE connections ADD COLUMN via_link_id BLOB;
