//! What the browser remembers between visits: the identity per session and small preferences.

use super::Identity;
use tandem_core::session::base64url;

fn key_for(session_id: &str) -> String {
    format!("tandem.identity.{session_id}")
}

#[cfg(feature = "hydrate")]
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The identity this browser used in `session_id`, if any.
pub fn load_identity(session_id: &str) -> Option<Identity> {
    #[cfg(feature = "hydrate")]
    {
        let raw = local_storage()?.get_item(&key_for(session_id)).ok()??;
        serde_json::from_str(&raw).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key_for(session_id);
        None
    }
}

/// Remembers the identity for `session_id`.
pub fn save_identity(session_id: &str, identity: &Identity) {
    #[cfg(feature = "hydrate")]
    if let (Some(storage), Ok(raw)) = (local_storage(), serde_json::to_string(identity)) {
        let _ = storage.set_item(&key_for(session_id), &raw);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (session_id, identity);
}

/// A fresh participant key: 128 random bits from the browser's CSPRNG, base64url without padding.
pub fn new_participant_key() -> String {
    #[allow(unused_mut)]
    let mut bytes = [0u8; 16];
    // Without the browser's random source the key stays sixteen zeros, which the relay refuses (a clear error
    // rather than everyone with a broken browser sharing one key).
    #[cfg(feature = "hydrate")]
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    base64url(&bytes)
}

/// Reads a JSON value kept under `tandem.{name}`.
pub fn load_json<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    #[cfg(feature = "hydrate")]
    {
        let raw = local_storage()?.get_item(&format!("tandem.{name}")).ok()??;
        serde_json::from_str(&raw).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        None
    }
}

/// Keeps a JSON value under `tandem.{name}`; `false` if the browser refused (storage full or disabled).
pub fn save_json<T: serde::Serialize>(name: &str, value: &T) -> bool {
    #[cfg(feature = "hydrate")]
    {
        match (local_storage(), serde_json::to_string(value)) {
            (Some(s), Ok(raw)) => s.set_item(&format!("tandem.{name}"), &raw).is_ok(),
            _ => false,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (name, value);
        false
    }
}

/// Reads a boolean preference.
pub fn load_flag(name: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        local_storage()
            .and_then(|s| s.get_item(&format!("tandem.pref.{name}")).ok().flatten())
            .is_some_and(|v| v == "1")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        false
    }
}

/// Stores a boolean preference.
pub fn save_flag(name: &str, value: bool) {
    #[cfg(feature = "hydrate")]
    if let Some(s) = local_storage() {
        let _ = s.set_item(&format!("tandem.pref.{name}"), if value { "1" } else { "0" });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, value);
}
