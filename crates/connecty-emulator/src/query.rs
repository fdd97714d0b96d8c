//! The query string of a results call: `include` and `max_rows`.

use connecty_proto::net::{Plus, percent_decode};
use http::StatusCode;

use crate::reply::{Reply, shown};

/// The `include` and `max_rows` of a results call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ResultsQuery {
    pub(crate) dataframe: bool,
    pub(crate) statistics: bool,
    pub(crate) sqlquery: bool,
    pub(crate) summary: bool,
    pub(crate) max_rows: usize,
}

impl ResultsQuery {
    /// Parses the query string: `include` (default `dataframe`) and
    /// `max_rows` (default 1000). Other parameters are ignored.
    pub(crate) fn parse(query: &str) -> Result<Self, Reply> {
        let mut include: Option<String> = None;
        let mut max_rows: Option<String> = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (Some(k), Some(v)) = (
                percent_decode(k, Plus::Space),
                percent_decode(v, Plus::Space),
            ) else {
                return Err(Reply::error(
                    StatusCode::BAD_REQUEST,
                    "the query string is not valid percent-encoded UTF-8",
                ));
            };
            match k.as_str() {
                "include" if include.is_none() => include = Some(v),
                "max_rows" if max_rows.is_none() => max_rows = Some(v),
                _ => {}
            }
        }
        let mut out = ResultsQuery {
            dataframe: false,
            statistics: false,
            sqlquery: false,
            summary: false,
            max_rows: 1000,
        };
        match include {
            None => out.dataframe = true,
            Some(list) => {
                for item in list.split(',').map(str::trim) {
                    match item {
                        "dataframe" => out.dataframe = true,
                        "statistics" => out.statistics = true,
                        "sqlquery" => out.sqlquery = true,
                        "summary" => out.summary = true,
                        other => {
                            return Err(Reply::error(
                                StatusCode::BAD_REQUEST,
                                format!(
                                    "invalid include value {:?}: expected a comma-separated list of dataframe, statistics, sqlquery, summary",
                                    shown(other, 40)
                                ),
                            ));
                        }
                    }
                }
            }
        }
        if let Some(n) = max_rows {
            match n.trim().parse::<u64>() {
                Ok(n) if n > 0 => out.max_rows = usize::try_from(n).unwrap_or(usize::MAX),
                _ => {
                    return Err(Reply::error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "max_rows must be a positive integer, got {:?}",
                            shown(&n, 40)
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<ResultsQuery, StatusCode> {
        ResultsQuery::parse(q).map_err(|r| r.status)
    }

    #[test]
    fn results_query_defaults_and_errors() {
        let d = parse("").unwrap();
        assert!(d.dataframe && !d.statistics && !d.sqlquery && !d.summary);
        assert_eq!(d.max_rows, 1000);
        let a = parse("include=dataframe%2Cstatistics,%20sqlquery&max_rows=3&x=y").unwrap();
        assert!(a.dataframe && a.statistics && a.sqlquery && !a.summary);
        assert_eq!(a.max_rows, 3);
        let s = parse("include=summary").unwrap();
        assert!(!s.dataframe && s.summary);
        for bad in [
            "include=",
            "include=tables",
            "include=dataframe,,summary",
            "max_rows=0",
            "max_rows=-1",
            "max_rows=abc",
            "max_rows=",
            "max_rows=99999999999999999999999",
            "include=%ZZ",
            "include=%FF",
        ] {
            assert_eq!(parse(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
    }
}
