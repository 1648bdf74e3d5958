-- The last TOTP time step used by each person, so a code cannot be replayed within its window.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
