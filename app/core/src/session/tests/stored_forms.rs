//! `Timer`, `RoomEvent` and `FieldKind` are written externally tagged, like the wire messages (`{"running":{…}}`,
//! `"rating"`), in the store, on the wire and in the templates' TOML: serde's derived reader, one per type.

use super::*;

fn written_as<T>(value: T, json: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(serde_json::to_string(&value).unwrap(), json);
    assert_eq!(serde_json::from_str::<T>(json).unwrap(), value);
}

#[test]
fn tagged_values_are_written_externally_tagged_and_read_back() {
    written_as(Timer::Running { deadline: 42 }, r#"{"running":{"deadline":42}}"#);
    written_as(Timer::Paused { remaining_ms: -5 }, r#"{"paused":{"remaining_ms":-5}}"#);
    written_as(RoomEvent::TimeAdded { seconds: 60 }, r#"{"time_added":{"seconds":60}}"#);
    written_as(RoomEvent::Started, r#""started""#);
    written_as(FieldKind::Text { max_chars: 500 }, r#"{"text":{"max_chars":500}}"#);
    written_as(FieldKind::Rating, r#""rating""#);
}

#[test]
fn a_wrong_or_missing_value_is_named() {
    let err = serde_json::from_str::<Timer>(r#"{"paused":{}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `remaining_ms`"), "{err}");
    let err = serde_json::from_str::<Timer>(r#"{"paused":{"remaining_ms":"5"}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid type"), "{err}");
    let err = serde_json::from_str::<Timer>(r#"{"state":"paused","remaining_ms":5}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `state`"), "{err}");
}

#[test]
fn templates_write_field_kinds_in_toml_the_same_way() {
    #[derive(serde::Deserialize)]
    struct Field {
        kind: FieldKind,
    }
    let toml_kind = |text: &str| toml::from_str::<Field>(text).map(|f| f.kind).map_err(|e| e.to_string());
    assert_eq!(
        toml_kind("kind = { text = { max_chars = 0x1F4 } }"),
        Ok(FieldKind::Text { max_chars: 500 })
    );
    assert_eq!(toml_kind("kind = \"rating\""), Ok(FieldKind::Rating));
    let err = toml_kind("kind = { text = { max_chars = -1 } }").unwrap_err();
    assert!(err.contains("max_chars") || err.contains("invalid value"), "{err}");
    let err = toml_kind("kind = { type = \"text\" }").unwrap_err();
    assert!(err.contains("unknown variant"), "{err}");
}
