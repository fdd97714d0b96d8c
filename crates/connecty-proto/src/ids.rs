//! Identifiers: data workspaces and questions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::InvalidInput;

/// A Data Workspace identifier (`dw_id`), an integer found in the ConnectyAI
/// app under Manager -> Data Environments -> Data Workspaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkspaceId(pub u64);

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u64> for WorkspaceId {
    fn from(v: u64) -> Self {
        Self(v)
    }
}

impl FromStr for WorkspaceId {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse::<u64>().map(WorkspaceId).map_err(|_| {
            InvalidInput::new(
                "dw_id",
                format!(
                    "{:?} is not a workspace id: expected a non-negative integer such as 13",
                    crate::error::excerpt(s.as_bytes())
                ),
            )
        })
    }
}

/// A question identifier, the UUID returned by `POST /v1/dw/{dw_id}/questions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QuestionId(pub Uuid);

impl fmt::Display for QuestionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl From<Uuid> for QuestionId {
    fn from(v: Uuid) -> Self {
        Self(v)
    }
}

impl FromStr for QuestionId {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim()).map(QuestionId).map_err(|_| {
            InvalidInput::new(
                "question_id",
                format!(
                    "{:?} is not a question id: expected a UUID such as 729cb7a4-4b06-449e-a3c9-df40f5e570b8",
                    crate::error::excerpt(s.as_bytes())
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_ids() {
        assert_eq!("13".parse::<WorkspaceId>().unwrap(), WorkspaceId(13));
        let e = "abc".parse::<WorkspaceId>().unwrap_err();
        assert_eq!(e.field, "dw_id");
        assert!("-1".parse::<WorkspaceId>().is_err());
        let q: QuestionId = "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap();
        assert_eq!(q.to_string(), "729cb7a4-4b06-449e-a3c9-df40f5e570b8");
        assert_eq!(
            "nope".parse::<QuestionId>().unwrap_err().field,
            "question_id"
        );
    }
}
