//! What a results call asks for: the components to include, how many rows,
//! and the checks on a question before it is sent.

use std::fmt;

use crate::error::InvalidInput;

/// One result component the results endpoint can include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Include {
    /// `dataframe`: the result rows.
    Dataframe,
    /// `statistics`: per-column statistics (`dataframe_stats`).
    Statistics,
    /// `sqlquery`: the SQL that ran (`sql_query`).
    SqlQuery,
    /// `summary`: the prose answer (`response_summary`).
    Summary,
}

impl Include {
    /// All components, in the order they are sent.
    pub const ALL: [Include; 4] = [
        Include::Dataframe,
        Include::Statistics,
        Include::SqlQuery,
        Include::Summary,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Include::Dataframe => "dataframe",
            Include::Statistics => "statistics",
            Include::SqlQuery => "sqlquery",
            Include::Summary => "summary",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Include::Dataframe => 1,
            Include::Statistics => 2,
            Include::SqlQuery => 4,
            Include::Summary => 8,
        }
    }
}

/// A set of [`Include`]s. The default is `dataframe`, as the API's.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IncludeSet(u8);

impl IncludeSet {
    /// Only the dataframe: the API's default.
    pub const DEFAULT: IncludeSet = IncludeSet(1);
    /// Everything.
    pub const ALL: IncludeSet = IncludeSet(15);

    /// The empty set (not valid to send; add at least one component).
    pub const fn empty() -> Self {
        IncludeSet(0)
    }

    /// This set plus `item`.
    #[must_use]
    pub fn with(self, item: Include) -> Self {
        IncludeSet(self.0 | item.bit())
    }

    /// Whether `item` is in the set.
    pub fn contains(self, item: Include) -> bool {
        self.0 & item.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members, in wire order.
    pub fn iter(self) -> impl Iterator<Item = Include> {
        Include::ALL.into_iter().filter(move |i| self.contains(*i))
    }

    /// The query value: comma-separated, no spaces, in a fixed order.
    pub fn to_query_value(self) -> String {
        let mut s = String::new();
        for i in self.iter() {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(i.as_str());
        }
        s
    }

    /// Parses a comma-separated list such as `dataframe,sqlquery` (spaces and
    /// case are forgiven; `all` means everything).
    pub fn parse(list: &str) -> Result<Self, InvalidInput> {
        let mut set = IncludeSet::empty();
        for part in list.split(',') {
            let p = part.trim().to_ascii_lowercase();
            set = match p.as_str() {
                "" => continue,
                "all" => IncludeSet::ALL,
                "dataframe" => set.with(Include::Dataframe),
                "statistics" | "stats" => set.with(Include::Statistics),
                "sqlquery" | "sql" => set.with(Include::SqlQuery),
                "summary" => set.with(Include::Summary),
                _ => {
                    return Err(InvalidInput::new(
                        "include",
                        format!(
                            "{:?} is not a result component: expected dataframe, statistics, sqlquery or summary",
                            crate::error::excerpt(p.as_bytes())
                        ),
                    ));
                }
            };
        }
        if set.is_empty() {
            return Err(InvalidInput::new(
                "include",
                "is empty: name at least one of dataframe, statistics, sqlquery, summary",
            ));
        }
        Ok(set)
    }
}

impl Default for IncludeSet {
    fn default() -> Self {
        IncludeSet::DEFAULT
    }
}

impl FromIterator<Include> for IncludeSet {
    fn from_iter<I: IntoIterator<Item = Include>>(iter: I) -> Self {
        iter.into_iter().fold(IncludeSet::empty(), IncludeSet::with)
    }
}

impl fmt::Debug for IncludeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IncludeSet({})", self.to_query_value())
    }
}

impl fmt::Display for IncludeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query_value())
    }
}

/// The largest question accepted, in bytes of UTF-8: 64 KiB.
pub const MAX_QUESTION_BYTES: usize = 64 * 1024;

/// The largest `max_rows` accepted: 10,000,000. The server's default is
/// 1,000; larger answers need a larger body limit in the transport.
pub const MAX_ROWS_LIMIT: u32 = 10_000_000;

/// What a results call asks for: which components and how many rows.
///
/// The API cuts every dataframe at `max_rows`, **1,000 rows when it is not
/// sent**: ask for more (up to [`MAX_ROWS_LIMIT`]) when a question may
/// return more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResultsOptions {
    /// The components to include. Default: `dataframe`.
    pub include: IncludeSet,
    /// The most rows to return; `None` sends nothing and the server's default
    /// (1,000) applies.
    pub max_rows: Option<u32>,
}

impl ResultsOptions {
    /// Validates the options: a non-empty include set and `max_rows` in
    /// `1..=MAX_ROWS_LIMIT`.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.include.is_empty() {
            return Err(InvalidInput::new(
                "include",
                "is empty: name at least one of dataframe, statistics, sqlquery, summary",
            ));
        }
        match self.max_rows {
            Some(0) => Err(InvalidInput::new("max_rows", "must be at least 1")),
            Some(n) if n > MAX_ROWS_LIMIT => Err(InvalidInput::new(
                "max_rows",
                format!("{n} is above the limit of {MAX_ROWS_LIMIT}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Checks a question before it is sent: not blank, at most
/// [`MAX_QUESTION_BYTES`].
pub fn validate_question(question: &str) -> Result<(), InvalidInput> {
    if question.trim().is_empty() {
        return Err(InvalidInput::new("question", "is empty"));
    }
    if question.len() > MAX_QUESTION_BYTES {
        return Err(InvalidInput::new(
            "question",
            format!(
                "is {} bytes long; the limit is {MAX_QUESTION_BYTES} bytes",
                question.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_sets() {
        assert_eq!(IncludeSet::default().to_query_value(), "dataframe");
        assert_eq!(
            IncludeSet::ALL.to_query_value(),
            "dataframe,statistics,sqlquery,summary"
        );
        let s = IncludeSet::parse(" sqlquery , DATAFRAME,statistics").unwrap();
        assert_eq!(s.to_query_value(), "dataframe,statistics,sqlquery");
        assert!(IncludeSet::parse("").is_err());
        assert!(IncludeSet::parse("rows").is_err());
    }

    #[test]
    fn options_and_questions_are_validated() {
        let mut o = ResultsOptions::default();
        assert!(o.validate().is_ok());
        o.max_rows = Some(0);
        assert_eq!(o.validate().unwrap_err().field, "max_rows");
        o.max_rows = Some(MAX_ROWS_LIMIT + 1);
        assert!(o.validate().is_err());
        o.max_rows = Some(MAX_ROWS_LIMIT);
        assert!(o.validate().is_ok());
        assert!(validate_question("  \n").is_err());
        assert!(validate_question(&"x".repeat(MAX_QUESTION_BYTES + 1)).is_err());
        assert!(validate_question("top 5 countries").is_ok());
    }
}
