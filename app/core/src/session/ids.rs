//! Identifier newtypes shared by the browser and the relay.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch, on the relay's clock.
pub type Millis = i64;

/// A session's public id: the path segment of its links. Not a secret; the tokens are.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub String);

/// A participant's public id inside one session (shown to others).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParticipantId(pub u32);

impl ParticipantId {
    /// The id shown for the `n`th Yjs client connected to a session's notes (from the top of the range, which no
    /// person gets): an app, not a person.
    pub const fn app(n: u32) -> ParticipantId {
        ParticipantId(u32::MAX - n)
    }

    /// Whether this id is one of [`ParticipantId::app`]'s (a session has at most a few hundred connections).
    pub const fn is_app(self) -> bool {
        self.0 > u32::MAX - 1024
    }
}

/// The secret a browser keeps to be recognised as the same participant after a reload.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParticipantKey(pub String);

/// A room inside a session: the pair's room, or (in workshops) the plenary and each breakout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoomId(pub u32);

impl RoomId {
    /// The room every session starts with: the pair's room, or a workshop's plenary.
    pub const MAIN: RoomId = RoomId(0);
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ParticipantKey {
    /// A key is 16..=64 characters of `[A-Za-z0-9_-]`, not all one character; anything else is refused by the
    /// relay. (A browser whose random source failed would send 16 zero bytes, `AAAA…`: everyone's key alike.)
    pub fn is_well_formed(&self) -> bool {
        is_key_like(&self.0) && self.0.bytes().any(|b| b != self.0.as_bytes()[0])
    }
}

/// 16..=64 characters of `[A-Za-z0-9_-]`: the shape of every client-generated key and id.
pub fn is_key_like(s: &str) -> bool {
    (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a link lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// The session's creator: every participant right plus host controls.
    Host,
    /// A peer taking part: edits, and the timer when the session allows it.
    Participant,
    /// Read-only: sees everything live, changes nothing.
    Observer,
}

impl Capability {
    /// A short label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Capability::Host => "host",
            Capability::Participant => "participant",
            Capability::Observer => "observer",
        }
    }

    /// How much the link allows (observer < participant < host): a person keeps the strongest they used.
    pub fn rank(self) -> u8 {
        match self {
            Capability::Observer => 0,
            Capability::Participant => 1,
            Capability::Host => 2,
        }
    }
}

/// Base64url without padding (RFC 4648 §5).
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes [`base64url`] output; `None` for anything else.
pub fn from_base64url(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let decoded = n.to_be_bytes();
        out.extend_from_slice(&decoded[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{base64url, from_base64url};

    #[test]
    fn base64url_round_trips() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(97).wrapping_add(len)).collect();
            assert_eq!(from_base64url(&base64url(&bytes)).as_deref(), Some(&bytes[..]));
        }
        assert_eq!(from_base64url("Zm9vYmFy").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(from_base64url("a"), None, "one char is never valid");
        assert_eq!(from_base64url("ab=c"), None);
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url(&[0u8; 16]).len(), 22);
    }
}
