//! Per-column statistics (`dataframe_stats`).
//!
//! The API reference shows three sections (`general`, `temporal`, `string`)
//! and says the statistics depend on the column's type, so other sections
//! (such as `numeric`) and other fields exist. The known fields are typed;
//! every section and field that is not modelled, or whose value does not
//! fit its type, is kept as its raw JSON and written back when the
//! statistics are serialised.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON value kept exactly as sent.
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Wraps JSON text, checking it is one valid value.
    pub fn from_text(text: &str) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text.to_string()).map(RawJson)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The value, parsed.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.get()).unwrap_or(serde_json::Value::Null)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(RawJson)
    }
}

/// Object members in the order sent, values raw.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Members(pub Vec<(String, RawJson)>);

impl Members {
    /// Removes `key` and returns its value as `T`, unless it does not fit
    /// `T`, in which case it stays.
    fn take<T: Field>(&mut self, key: &str) -> Option<T> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        let v = T::from_json(self.0[i].1.get())?;
        self.0.remove(i);
        Some(v)
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&RawJson> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A typed statistics field read from its raw JSON text; `None` when the
/// value does not fit the type (it then stays among the raw fields).
trait Field: Sized + serde::de::DeserializeOwned {
    fn from_json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

impl Field for u64 {}
impl Field for bool {}
impl Field for Timestamp {}
impl Field for GeneralStats {}
impl Field for TemporalStats {}
impl Field for StringStats {}

impl Field for f64 {
    /// The nearest `f64`, correctly rounded (the standard library's parser;
    /// serde_json's default float parsing can be off by an ulp on long
    /// inputs, which would change the value through a round trip).
    fn from_json(text: &str) -> Option<Self> {
        let t = text.trim();
        if !t.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return None;
        }
        t.parse::<f64>().ok().filter(|f| f.is_finite())
    }
}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(4).min(64));
                while let Some((k, v)) = map.next_entry::<String, RawJson>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A date-time with its offset, kept with the exact text sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Timestamp {
    text: String,
    value: DateTime<FixedOffset>,
}

impl Timestamp {
    /// Parses an RFC 3339 date-time, such as
    /// `2025-10-24T11:03:05.196568+02:00`.
    pub fn parse(text: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|value| Timestamp {
                text: text.to_string(),
                value,
            })
    }

    /// The date-time, with the offset sent.
    pub fn datetime(&self) -> DateTime<FixedOffset> {
        self.value
    }

    /// The text exactly as sent.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 date-time"))
    }
}

macro_rules! section {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Default, Serialize)]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Fields not modelled, or whose value did not fit its type, as
            /// sent.
            #[serde(flatten)]
            pub extra: Members,
        }

        impl $name {
            fn from_members(mut m: Members) -> Self {
                Self {
                    $( $field: m.take(stringify!($field)), )*
                    extra: m,
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Members::deserialize(d).map(Self::from_members)
            }
        }
    };
}

section! {
    /// The `general` section: counts every column has.
    GeneralStats {
        /// Number of values.
        count: u64,
        /// Number of nulls.
        nulls_count: u64,
    }
}

section! {
    /// The `temporal` section of date-time columns.
    TemporalStats {
        /// Number of distinct values.
        distinct_count: u64,
        /// Whether `distinct_count` is an approximation.
        distinct_approx: bool,
        /// The earliest value.
        min: Timestamp,
        /// The latest value.
        max: Timestamp,
    }
}

section! {
    /// The `string` section of text columns.
    StringStats {
        /// Number of distinct values.
        distinct_count: u64,
        /// Whether `distinct_count` is an approximation.
        distinct_approx: bool,
        /// Number of empty strings.
        empty_string_count: u64,
        /// Shortest length.
        min_len: u64,
        /// Mean length.
        mean_len: f64,
        /// Longest length.
        max_len: u64,
    }
}

/// The statistics of one column.
#[derive(Clone, Debug, PartialEq, Default)]
#[non_exhaustive]
pub struct ColumnStatistics {
    /// The `general` section.
    pub general: Option<GeneralStats>,
    /// The `temporal` section.
    pub temporal: Option<TemporalStats>,
    /// The `string` section.
    pub string: Option<StringStats>,
    /// Every other section (such as `numeric`), as sent.
    pub other: Members,
}

impl ColumnStatistics {
    /// Any section by name, as raw JSON (typed sections re-serialised).
    pub fn section(&self, name: &str) -> Option<serde_json::Value> {
        match name {
            "general" => self
                .general
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok()),
            "temporal" => self
                .temporal
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok()),
            "string" => self
                .string
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok()),
            _ => self.other.get(name).map(RawJson::to_value),
        }
    }
}

impl Serialize for ColumnStatistics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(g) = &self.general {
            m.serialize_entry("general", g)?;
        }
        if let Some(t) = &self.temporal {
            m.serialize_entry("temporal", t)?;
        }
        if let Some(st) = &self.string {
            m.serialize_entry("string", st)?;
        }
        for (k, v) in &self.other.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for ColumnStatistics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut m = Members::deserialize(d)?;
        Ok(ColumnStatistics {
            general: m.take("general"),
            temporal: m.take("temporal"),
            string: m.take("string"),
            other: m,
        })
    }
}

/// `dataframe_stats`: column name to its statistics, in the order sent.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Statistics {
    columns: Vec<(String, ColumnStatistics)>,
    /// Entries that are not objects, as sent.
    other: Members,
}

impl Statistics {
    /// The statistics of the column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnStatistics> {
        self.columns.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// All columns, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ColumnStatistics)> {
        self.columns.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of columns with statistics.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Adds or replaces a column's statistics.
    pub fn insert(&mut self, name: impl Into<String>, stats: ColumnStatistics) {
        let name = name.into();
        match self.columns.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = stats,
            None => self.columns.push((name, stats)),
        }
    }
}

impl Serialize for Statistics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.columns.len() + self.other.0.len()))?;
        for (k, v) in &self.columns {
            m.serialize_entry(k, v)?;
        }
        for (k, v) in &self.other.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Statistics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let members = Members::deserialize(d)?;
        let mut out = Statistics::default();
        for (k, v) in members.0 {
            if v.get().starts_with('{') {
                match serde_json::from_str::<ColumnStatistics>(v.get()) {
                    Ok(c) => out.columns.push((k, c)),
                    Err(_) => out.other.0.push((k, v)),
                }
            } else {
                out.other.0.push((k, v));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: &str = r#"{
      "login_timestamp": {
        "general": {"count": 100, "nulls_count": 0},
        "temporal": {"distinct_count": 100, "distinct_approx": false,
          "min": "2025-10-24T11:03:05.196568+02:00", "max": "2025-11-04T13:05:01.146482+01:00"}
      },
      "user_email": {
        "general": {"count": 100, "nulls_count": 0},
        "string": {"distinct_count": 2, "distinct_approx": false, "empty_string_count": 0,
          "min_len": 21, "mean_len": 22.44, "max_len": 45}
      }
    }"#;

    #[test]
    fn reference_statistics_parse_typed() {
        let s: Statistics = serde_json::from_str(REFERENCE).unwrap();
        let ts = s.column("login_timestamp").unwrap();
        assert_eq!(ts.general.as_ref().unwrap().count, Some(100));
        let t = ts.temporal.as_ref().unwrap();
        assert_eq!(
            t.min.as_ref().unwrap().as_str(),
            "2025-10-24T11:03:05.196568+02:00"
        );
        assert_eq!(
            t.min.as_ref().unwrap().datetime().timestamp_subsec_micros(),
            196568
        );
        assert_eq!(
            t.max
                .as_ref()
                .unwrap()
                .datetime()
                .offset()
                .local_minus_utc(),
            3600
        );
        let e = s.column("user_email").unwrap().string.as_ref().unwrap();
        assert_eq!(e.mean_len, Some(22.44));
        assert_eq!(e.max_len, Some(45));
        let back: serde_json::Value = serde_json::to_value(&s).unwrap();
        let orig: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn unknown_sections_and_fields_are_kept_exactly() {
        let text = r#"{"amount":{"general":{"count":3,"nulls_count":0,"p99":123456789012345678901234},
            "numeric":{"min":-1.50,"max":1e3,"mean":0.1},
            "string":{"min_len":"weird"}},
            "odd": 5}"#;
        let s: Statistics = serde_json::from_str(text).unwrap();
        let c = s.column("amount").unwrap();
        assert_eq!(
            c.general.as_ref().unwrap().extra.get("p99").unwrap().get(),
            "123456789012345678901234"
        );
        assert_eq!(
            c.other.get("numeric").unwrap().get(),
            r#"{"min":-1.50,"max":1e3,"mean":0.1}"#
        );
        let st = c.string.as_ref().unwrap();
        assert_eq!(st.min_len, None);
        assert_eq!(st.extra.get("min_len").unwrap().get(), "\"weird\"");
        let out = serde_json::to_string(&s).unwrap();
        assert!(out.contains("123456789012345678901234"));
        assert!(out.contains(r#""numeric":{"min":-1.50,"max":1e3,"mean":0.1}"#));
        assert!(out.contains(r#""odd":5"#));
        let again: Statistics = serde_json::from_str(&out).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn a_date_only_temporal_min_is_kept_raw() {
        let s: Statistics = serde_json::from_str(
            r#"{"d":{"temporal":{"min":"2025-10-24","max":"2025-10-25T00:00:00Z"}}}"#,
        )
        .unwrap();
        let t = s.column("d").unwrap().temporal.as_ref().unwrap();
        assert!(t.min.is_none());
        assert_eq!(t.extra.get("min").unwrap().get(), "\"2025-10-24\"");
        assert!(t.max.is_some());
    }

    #[test]
    fn long_floats_are_the_nearest_f64_and_round_trip() {
        let digits = "22.4777777777777777777777777777777777777777777774";
        let text = format!(r#"{{"c":{{"string":{{"mean_len":{digits}}}}}}}"#);
        let s: Statistics = serde_json::from_str(&text).unwrap();
        let mean = s.column("c").unwrap().string.as_ref().unwrap().mean_len;
        assert_eq!(mean, digits.parse::<f64>().ok());
        let again: Statistics = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
    }
}
