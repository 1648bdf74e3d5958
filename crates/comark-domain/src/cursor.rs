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
        encode(self)
    }

    /// Reads a cursor a client sent back.
    pub fn decode(raw: &str) -> Result<Self, InvalidCursor> {
        decode(raw, 200)
    }
}

/// Where the next page of a mapping's shared accounts starts: after this pair, in the order
/// of the viewer's account name (lower case), account, key and the partner's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairCursor {
    /// The viewer's account name in lower case, as the store sorts it.
    #[serde(rename = "n")]
    pub sort_name: String,
    /// The viewer's account.
    #[serde(rename = "o")]
    pub ours: Uuid,
    /// The match key.
    #[serde(rename = "k")]
    pub key: String,
    /// The partner's account.
    #[serde(rename = "t")]
    pub theirs: Uuid,
}

impl PairCursor {
    /// The opaque string handed to clients.
    pub fn encode(&self) -> String {
        encode(self)
    }

    /// Reads a cursor a client sent back.
    pub fn decode(raw: &str) -> Result<Self, InvalidCursor> {
        // Names and keys are bounded at import; this bounds what a client can make us parse.
        decode(raw, 4_000)
    }
}

/// A cursor as the opaque string handed to clients: its JSON, base64url-encoded.
fn encode(cursor: &impl Serialize) -> String {
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Reads a cursor a client sent back, refusing one longer than `max_len` before parsing it.
fn decode<C: serde::de::DeserializeOwned>(raw: &str, max_len: usize) -> Result<C, InvalidCursor> {
    if raw.len() > max_len {
        return Err(InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| InvalidCursor)?;
    serde_json::from_slice(&bytes).map_err(|_| InvalidCursor)
}

/// The fewest rows a client may ask a page to hold.
pub const MIN_PAGE_SIZE: u32 = 1;
/// The most rows a client may ask a page to hold.
pub const MAX_PAGE_SIZE: u32 = 200;
/// The page size when the client does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// A page size outside MIN_PAGE_SIZE..=MAX_PAGE_SIZE, or not a number at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("must be a whole number from {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}")]
pub struct InvalidPageSize;

/// Reads the page size a client asked for: DEFAULT_PAGE_SIZE when it did not say. A size
/// out of range is refused rather than clamped, so that a client asking for 100000 rows
/// learns it gets at most MAX_PAGE_SIZE instead of silently missing the rest.
pub fn page_size(requested: Option<&str>) -> Result<u32, InvalidPageSize> {
    match requested.map(str::trim) {
        None | Some("") => Ok(DEFAULT_PAGE_SIZE),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|size| (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(size))
            .ok_or(InvalidPageSize),
    }
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
        fn pair_cursors_round_trip(sort_name in ".{0,80}", key in ".{0,80}", ours in any::<u128>(), theirs in any::<u128>()) {
            let cursor = PairCursor { sort_name, ours: Uuid::from_u128(ours), key, theirs: Uuid::from_u128(theirs) };
            prop_assert_eq!(PairCursor::decode(&cursor.encode()), Ok(cursor));
        }

        #[test]
        fn arbitrary_strings_never_panic_a_pair_cursor(raw in ".{0,300}") {
            let _ = PairCursor::decode(&raw);
        }

        #[test]
        fn arbitrary_strings_never_panic(raw in "\\PC{0,300}") {
            let _ = Cursor::decode(&raw);
        }
    }

    #[test]
    fn page_sizes_out_of_range_are_refused_not_clamped() {
        assert_eq!(page_size(None), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(Some("")), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(Some("1")), Ok(1));
        assert_eq!(page_size(Some("200")), Ok(MAX_PAGE_SIZE));
        for bad in ["0", "201", "100000", "-1", "ten", "1.5", "99999999999"] {
            assert_eq!(page_size(Some(bad)), Err(InvalidPageSize), "{bad}");
        }
    }
}
