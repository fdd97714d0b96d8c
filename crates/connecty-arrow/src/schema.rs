//! The batch's schema: each column's field, its unique name, and the
//! metadata keys this crate writes.

use std::collections::{HashMap, HashSet};

use arrow_schema::Field;
use arrow_schema::extension::Json;

use crate::infer::ColumnType;

/// Field metadata key: the column's name as sent, when the field's name
/// differs (a repeated or empty name).
pub const META_NAME: &str = "connecty:name";
/// Field metadata key on timestamp columns: what became of each value's
/// UTC offset.
pub const META_OFFSET: &str = "connecty:offset";
/// The value of [`META_OFFSET`].
pub const OFFSET_NOT_KEPT: &str =
    "not kept: each value's instant is exact, converted from its own UTC offset to UTC";

/// Field names that are unique and non-empty: a repeated name gets `_2`,
/// `_3`… (the first suffix not taken), an empty one `column_<index>`.
pub(crate) fn unique_names(names: &[String]) -> Vec<String> {
    let sent: HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut used: HashSet<String> = HashSet::with_capacity(names.len());
    let mut out = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        if !n.is_empty() && used.insert(n.clone()) {
            out.push(n.clone());
            continue;
        }
        let base = if n.is_empty() {
            format!("column_{i}")
        } else {
            n.clone()
        };
        // Bounded: at most `names.len()` candidates are taken.
        let mut k = if n.is_empty() { 1 } else { 2 };
        loop {
            let candidate = if k == 1 {
                base.clone()
            } else {
                format!("{base}_{k}")
            };
            if !sent.contains(candidate.as_str()) && !used.contains(&candidate) {
                used.insert(candidate.clone());
                out.push(candidate);
                break;
            }
            k += 1;
        }
    }
    out
}

pub(crate) fn field(name: &str, sent: &str, ty: ColumnType) -> Field {
    let mut meta = HashMap::new();
    if name != sent {
        meta.insert(META_NAME.to_string(), sent.to_string());
    }
    if ty == ColumnType::Timestamp {
        meta.insert(META_OFFSET.to_string(), OFFSET_NOT_KEPT.to_string());
    }
    let f = Field::new(name, ty.data_type(), true).with_metadata(meta);
    if ty == ColumnType::Json {
        f.with_extension_type(Json::default())
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_unique() {
        let n = |v: &[&str]| unique_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(n(&["a", "b"]), ["a", "b"]);
        assert_eq!(n(&["id", "id", "id"]), ["id", "id_2", "id_3"]);
        assert_eq!(n(&["id", "id", "id_2"]), ["id", "id_3", "id_2"]);
        assert_eq!(n(&["", "x", ""]), ["column_0", "x", "column_2"]);
        assert_eq!(n(&["column_0", ""]), ["column_0", "column_1"]);
        assert_eq!(n(&["", "column_0"]), ["column_0_2", "column_0"]);
    }
}
