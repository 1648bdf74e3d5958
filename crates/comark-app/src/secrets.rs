//! Secrets: random tokens, their hashes, and password hashing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppError;

/// A new random token with a prefix that tells what it is (`cmk_ses_...`, `cmk_pat_...`).
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A new random token without a prefix (CSRF tokens, links).
pub fn new_token_plain() -> String {
    new_token("")
}

/// The hash stored in place of a high-entropy token: SHA-256 is enough for 256 random bits.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn argon2() -> Argon2<'static> {
    // OWASP's recommended argon2id setting: 19 MiB of memory, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with argon2id (on a blocking thread: it takes tens of milliseconds).
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash. An unreadable hash never matches.
pub async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// How long a form token handed to a browser without a session works.
pub const PRE_SESSION_TOKEN_LIFETIME: i64 = 24 * 60 * 60;

fn pre_session_mac(key: &[u8], issued: i64, nonce: &str) -> Option<String> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(format!("csrf:{issued}:{nonce}").as_bytes());
    Some(hex::encode(mac.finalize().into_bytes()))
}

/// A form token for a browser without a session (the sign-in, sign-up and public request
/// forms): when it was issued (Unix seconds), a nonce, and an HMAC of both under `key`, so
/// that only this server can make one and none works for long.
pub fn pre_session_token(key: &[u8], issued: i64) -> String {
    let nonce = new_token("");
    let mac = pre_session_mac(key, issued, &nonce).unwrap_or_default();
    format!("{issued}.{nonce}.{mac}")
}

/// How old `token` is in seconds at `now`, if this server made it under `key` and it still
/// works.
pub fn pre_session_token_age(key: &[u8], token: &str, now: i64) -> Option<i64> {
    let mut parts = token.splitn(3, '.');
    let (issued, nonce, mac) = (parts.next()?, parts.next()?, parts.next()?);
    let issued: i64 = issued.parse().ok()?;
    let expected = pre_session_mac(key, issued, nonce)?;
    let age = now.checked_sub(issued)?;
    // A minute of clock difference between instances is forgiven.
    ((-60..PRE_SESSION_TOKEN_LIFETIME).contains(&age) && constant_time_eq(&expected, mac))
        .then_some(age.max(0))
}

/// A hash that no password matches, verified against when the account does not exist
/// so that "no such user" takes as long as "wrong password".
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Rr2m9kdwZ8oYe3m0FrVzoIa0cqC9n3pD1U4C7nw2Yxw";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify_password("correct horse battery".into(), hash.clone())
                .await
                .expect("verify")
        );
        assert!(!verify_password("correct horse battery!".into(), hash)
            .await
            .expect("verify"));
        assert!(!verify_password("anything".into(), DUMMY_HASH.into())
            .await
            .expect("verify"));
    }

    #[test]
    fn a_pre_session_token_works_only_with_its_key_and_for_a_day() {
        let key = b"an instance key of at least thirty-two bytes";
        let token = pre_session_token(key, 1_000_000);
        assert_eq!(pre_session_token_age(key, &token, 1_000_010), Some(10));
        assert_eq!(
            pre_session_token_age(b"another key", &token, 1_000_010),
            None
        );
        let late = 1_000_000 + PRE_SESSION_TOKEN_LIFETIME;
        assert_eq!(pre_session_token_age(key, &token, late), None);
        let (issued, rest) = token.split_once('.').expect("issued first");
        assert_eq!(issued, "1000000");
        let moved = format!("1000005.{rest}");
        assert_eq!(
            pre_session_token_age(key, &moved, 1_000_010),
            None,
            "the time is signed"
        );
        for forged in ["", "1000000", "1000000..", "x.y.z", &new_token_plain()] {
            assert_eq!(
                pre_session_token_age(key, forged, 1_000_010),
                None,
                "{forged}"
            );
        }
    }

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let a = new_token("cmk_pat_");
        let b = new_token("cmk_pat_");
        assert_ne!(a, b);
        assert!(a.starts_with("cmk_pat_") && a.len() > 40);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
    }
}
