//! Opaque pagination cursors: keyset pagination over (created_at, id), newest first.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the next page starts: after the row with this time and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The last row's creation time.
    #[serde(rename = "t")]
    pub created_at: DateTime<Utc>,
    /// The last row's id, to break ties.
    #[serde(rename = "i")]
    pub id: Uuid,
}

/// A cursor that did not come from us (or was mangled on the way).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("is not a cursor returned by this API")]
pub struct InvalidCursor;

impl Cursor {
    /// The opaque string handed to clients.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor a client sent back.
    pub fn decode(raw: &str) -> Result<Self, InvalidCursor> {
        if raw.len() > 200 {
            return Err(InvalidCursor);
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| InvalidCursor)?;
        serde_json::from_slice(&bytes).map_err(|_| InvalidCursor)
    }
}

/// How many rows a page may hold, whatever the client asks.
pub const MAX_PAGE_SIZE: u32 = 200;
/// The page size when the client does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Clamps a requested page size into 1..=MAX_PAGE_SIZE.
pub fn page_size(requested: Option<u32>) -> u32 {
    requested
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cursors_round_trip(secs in 0i64..4_000_000_000, micros in 0u32..1_000_000, id in any::<u128>()) {
            let created_at = DateTime::from_timestamp(secs, micros * 1000).expect("in range");
            let cursor = Cursor { created_at, id: Uuid::from_u128(id) };
            prop_assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        }

        #[test]
        fn arbitrary_strings_never_panic(raw in "\\PC{0,300}") {
            let _ = Cursor::decode(&raw);
        }
    }

    #[test]
    fn page_sizes_are_clamped() {
        assert_eq!(page_size(None), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(10_000)), MAX_PAGE_SIZE);
    }
}
