//! The questions the emulator can answer: SQL, and a short list of known
//! natural-language questions mapped to fixed SQL over the sample
//! workspace.
//!
//! This is a lookup table, not a text-to-SQL engine: a question matches a
//! known one only when it is the same text up to letter case, whitespace and
//! a trailing `?`, `.` or `!`.

/// A natural-language question the emulator knows, with the SQL it runs for
/// it against the sample workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownQuestion {
    /// The question as documented.
    pub question: &'static str,
    /// Other phrasings that map to the same SQL.
    pub aliases: &'static [&'static str],
    /// The SQL run for it (SQLite dialect), also sent as `sql_query`.
    pub sql: &'static str,
}

/// The known questions, in the order the emulator lists them.
///
/// The first is the API reference's own example.
pub const KNOWN_QUESTIONS: &[KnownQuestion] = &[
    KnownQuestion {
        question: "list the top 5 countries with the most orders",
        aliases: &["top 5 countries by orders"],
        sql: "SELECT\n    c.name AS country,\n    COUNT(*) AS orders\nFROM orders o\nJOIN customers cu ON cu.id = o.customer_id\nJOIN countries c ON c.code = cu.country_code\nGROUP BY c.code, c.name\nORDER BY orders DESC, country\nLIMIT 5;\n",
    },
    KnownQuestion {
        question: "how many orders were placed each month",
        aliases: &["orders per month", "number of orders per month"],
        sql: "SELECT\n    strftime('%Y-%m', o.ordered_at) AS month,\n    COUNT(*) AS orders,\n    ROUND(SUM(o.amount), 2) AS revenue\nFROM orders o\nGROUP BY month\nORDER BY month;\n",
    },
    KnownQuestion {
        question: "who are the top 10 customers by revenue",
        aliases: &["top customers by revenue", "top 10 customers by revenue"],
        sql: "SELECT\n    cu.name AS customer,\n    cu.email AS email,\n    c.name AS country,\n    COUNT(*) AS orders,\n    ROUND(SUM(o.amount), 2) AS revenue\nFROM orders o\nJOIN customers cu ON cu.id = o.customer_id\nJOIN countries c ON c.code = cu.country_code\nWHERE o.status NOT IN ('cancelled', 'refunded')\nGROUP BY cu.id\nORDER BY revenue DESC, customer\nLIMIT 10;\n",
    },
    KnownQuestion {
        question: "what is the number of orders by status",
        aliases: &["number of orders by status", "orders by status"],
        sql: "SELECT\n    o.status AS status,\n    COUNT(*) AS orders\nFROM orders o\nGROUP BY o.status\nORDER BY orders DESC, status;\n",
    },
    KnownQuestion {
        question: "show the 100 latest orders with the customer email",
        aliases: &[
            "latest orders",
            "show the latest orders",
            "most recent orders",
        ],
        sql: "WITH ranked_orders AS (\n    SELECT\n        o.ordered_at AS order_timestamp,\n        cu.email AS customer_email,\n        ROW_NUMBER() OVER (ORDER BY julianday(o.ordered_at) DESC, o.id DESC) AS order_rank\n    FROM orders o\n    JOIN customers cu ON cu.id = o.customer_id\n)\nSELECT\n    order_timestamp,\n    customer_email\nFROM ranked_orders\nWHERE order_rank <= 100\nORDER BY order_rank;\n",
    },
    KnownQuestion {
        question: "what is the average order value by region",
        aliases: &["average order value by region"],
        sql: "SELECT\n    c.region AS region,\n    COUNT(*) AS orders,\n    ROUND(AVG(o.amount), 2) AS average_amount\nFROM orders o\nJOIN customers cu ON cu.id = o.customer_id\nJOIN countries c ON c.code = cu.country_code\nGROUP BY c.region\nORDER BY average_amount DESC, region;\n",
    },
    KnownQuestion {
        question: "how many customers signed up in each country",
        aliases: &["customers per country", "number of customers per country"],
        sql: "SELECT\n    c.name AS country,\n    COUNT(cu.id) AS customers,\n    MIN(cu.signup_at) AS first_signup\nFROM countries c\nLEFT JOIN customers cu ON cu.country_code = c.code\nGROUP BY c.code, c.name\nORDER BY customers DESC, country;\n",
    },
    KnownQuestion {
        question: "list the gift orders with a note",
        aliases: &["gift orders with a note", "gift orders"],
        sql: "SELECT\n    o.id AS order_id,\n    o.ordered_at AS ordered_at,\n    o.amount AS amount,\n    o.is_gift AS is_gift,\n    o.note AS note\nFROM orders o\nWHERE o.is_gift AND o.note IS NOT NULL\nORDER BY o.id;\n",
    },
];

/// What the emulator makes of a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Interpretation {
    /// SQL, run as sent.
    Sql(String),
    /// A known question: its SQL.
    Known(&'static KnownQuestion),
    /// Nothing the emulator can answer.
    Unknown,
}

/// Lower-cases, collapses whitespace and drops trailing `?`, `.`, `!`.
pub(crate) fn normalize(question: &str) -> String {
    let words: Vec<&str> = question.split_whitespace().collect();
    let joined = words.join(" ").to_lowercase();
    joined
        .trim_end_matches(|c: char| c == '?' || c == '.' || c == '!' || c.is_whitespace())
        .to_string()
}

/// Whether `question` is SQL: it starts with `SELECT` or `WITH` as a word,
/// in any letter case.
pub(crate) fn is_sql(question: &str) -> bool {
    let t = question.trim_start();
    ["select", "with"].iter().any(|kw| {
        t.get(..kw.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(kw))
            && t[kw.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// Interprets a question.
pub(crate) fn interpret(question: &str) -> Interpretation {
    if is_sql(question) {
        return Interpretation::Sql(question.trim().to_string());
    }
    let n = normalize(question);
    KNOWN_QUESTIONS
        .iter()
        .find(|k| normalize(k.question) == n || k.aliases.iter().any(|a| normalize(a) == n))
        .map_or(Interpretation::Unknown, Interpretation::Known)
}

/// The `FAILED` reason for a question the emulator cannot answer.
pub(crate) fn unknown_question_message() -> String {
    let list: Vec<String> = KNOWN_QUESTIONS
        .iter()
        .map(|k| format!("\"{}\"", k.question))
        .collect();
    format!(
        "the ConnectyAI emulator is not a text-to-SQL engine: it answers SQL \
         (a question starting with SELECT or WITH, run read-only against the \
         workspace's SQLite database) and these known questions about the sample \
         workspace (case and spacing do not matter): {}",
        list.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_questions_match_loosely() {
        let top5 = &KNOWN_QUESTIONS[0];
        for q in [
            "list the top 5 countries with the most orders",
            "  List the TOP 5 countries\twith the most   orders? ",
            "LIST THE TOP 5 COUNTRIES WITH THE MOST ORDERS.",
            "top 5 countries by orders",
        ] {
            assert_eq!(interpret(q), Interpretation::Known(top5), "{q}");
        }
        assert_eq!(
            interpret("list the top 6 countries"),
            Interpretation::Unknown
        );
        assert_eq!(interpret(""), Interpretation::Unknown);
    }

    #[test]
    fn sql_is_recognised_by_its_first_word() {
        assert!(is_sql("SELECT 1"));
        assert!(is_sql("  select\n1"));
        assert!(is_sql("With x AS (SELECT 1) SELECT * FROM x"));
        assert!(is_sql("select"));
        assert!(is_sql("SELECT(1)"));
        assert!(!is_sql("selection of orders"));
        assert!(!is_sql("without a doubt"));
        assert!(!is_sql("DELETE FROM orders"));
        assert!(!is_sql("é"));
        assert!(!is_sql(""));
    }

    #[test]
    fn every_known_question_is_distinct_after_normalising() {
        let mut all: Vec<String> = KNOWN_QUESTIONS
            .iter()
            .flat_map(|k| std::iter::once(k.question).chain(k.aliases.iter().copied()))
            .map(normalize)
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn the_unknown_message_lists_every_known_question() {
        let m = unknown_question_message();
        for k in KNOWN_QUESTIONS {
            assert!(m.contains(k.question));
        }
        assert!(m.contains("SELECT"));
    }
}
