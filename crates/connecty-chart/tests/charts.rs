//! The charts as drawn: bar lengths in proportion, SVG marks parsed back,
//! no escape codes without colour, nulls and non-numbers never drawn as 0,
//! and any size from 0 up without a panic.

use connecty_chart::{Body, Chart, Kind, NoChart, Outcome, Request, TextOptions};
use connecty_proto::DataFrame;

fn chart_of(json: &str, request: &Request) -> Outcome {
    let df = DataFrame::from_json(json).expect("a dataframe");
    let batch = connecty_arrow::to_record_batch(&df, None).expect("a batch");
    Chart::from_batch(&batch, None, request, Some("title")).expect("columns fit")
}

fn chart(json: &str) -> Chart {
    match chart_of(json, &Request::default()) {
        Outcome::Chart(c) => c,
        Outcome::NoChart(why) => panic!("no chart: {why}"),
    }
}

fn plain(width: usize) -> TextOptions {
    TextOptions {
        width,
        height: None,
        colour: false,
    }
}

const BARS: &str = r#"[["country","orders"],["United States",731],["Germany",548],["Poland",302],["Iceland",2],["Nowhere",0]]"#;
const MONTHS: &str = r#"[["month","orders","revenue"],["2024-01",120,3000.5],["2024-02",160,4000],["2024-03",null,2500],["2024-04",200,5000]]"#;
const POINTS: &str = r#"[["a","b"],[1,2],[2,4],[3,1],[4,8],[5,3]]"#;

/// One chart of each kind: bars, lines, points, a histogram, a number.
fn every_kind() -> [Chart; 5] {
    [
        chart(BARS),
        chart(MONTHS),
        chart(POINTS),
        chart(r#"[["n"],[1],[2],[2],[5]]"#),
        chart(r#"[["n"],[1234567]]"#),
    ]
}

/// A bar's length in eighths of a character.
fn bar_eighths(line: &str) -> usize {
    let bar = line.split('│').nth(1).unwrap_or("");
    bar.chars()
        .map(|c| match c {
            '█' => 8,
            '▉' => 7,
            '▊' => 6,
            '▋' => 5,
            '▌' => 4,
            '▍' => 3,
            '▎' => 2,
            '▏' => 1,
            _ => 0,
        })
        .sum()
}

#[test]
fn bar_lengths_are_in_proportion_to_their_values() {
    let c = chart(BARS);
    for width in [40, 72, 120, 200] {
        let text = c.to_text(&plain(width)).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains('│')).collect();
        assert_eq!(lines.len(), 5, "{text}");
        let values = [731.0, 548.0, 302.0, 2.0, 0.0];
        let lengths: Vec<f64> = lines.iter().map(|l| bar_eighths(l) as f64).collect();
        // Each bar is the largest's length times its share, to the nearest
        // eighth (rounded once each: at most one eighth apart).
        for (len, v) in lengths.iter().zip(values) {
            let want = lengths[0] * v / values[0];
            assert!(
                (len - want).abs() <= 1.0,
                "width {width}: {len} vs {want}\n{text}"
            );
        }
        // 0 draws nothing; every line keeps its value in full.
        assert_eq!(lengths[4], 0.0);
        assert!(
            lines[0].ends_with(" 731") && lines[4].ends_with(" 0"),
            "{text}"
        );
        assert!(
            text.lines()
                .all(|l| unicode_width::UnicodeWidthStr::width(l) <= width),
            "{text}"
        );
    }
}

#[test]
fn bars_start_at_zero_and_the_axis_has_round_ticks() {
    let c = chart(r#"[["k","v"],["a",1000],["b",1010]]"#);
    let text = c.to_text(&plain(60)).unwrap();
    let a = bar_eighths(text.lines().nth(2).unwrap()) as f64;
    let b = bar_eighths(text.lines().nth(3).unwrap()) as f64;
    // From 0, 1000 and 1010 are nearly the same bar (from 990, one would
    // be empty).
    assert!((a / b - 1000.0 / 1010.0).abs() < 0.01, "{text}");
    let ticks = text.lines().last().unwrap();
    assert_eq!(
        ticks.split_whitespace().collect::<Vec<_>>(),
        ["0", "500", "1K", "1.5K"],
        "{text}"
    );
}

#[test]
fn the_svg_has_one_labelled_mark_per_bar_and_point() {
    let check = |c: &Chart, class: &str, want: &[&str]| {
        let mut svg = Vec::new();
        c.write_svg(&mut svg).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        let marks: Vec<String> = root
            .descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .map(|n| {
                n.children()
                    .find(|t| t.has_tag_name("title"))
                    .and_then(|t| t.text())
                    .expect("each mark has a title")
                    .to_string()
            })
            .collect();
        assert_eq!(marks, want);
        let texts = |class: &str| -> Vec<String> {
            root.descendants()
                .filter(|n| n.attribute("class") == Some(class))
                .filter_map(|n| n.text().map(str::to_string))
                .collect()
        };
        assert_eq!(texts("title"), ["title"]);
        assert_eq!(texts("axis-name").len(), 2, "both axes are named");
        assert!(texts("tick").len() >= 4, "tick labels");
        let legend = root
            .descendants()
            .find(|n| n.attribute("class") == Some("legend"))
            .expect("a legend");
        assert!(legend.descendants().any(|n| n.has_tag_name("text")));
    };
    check(
        &chart(BARS),
        "bar",
        &[
            "United States: 731",
            "Germany: 548",
            "Poland: 302",
            "Iceland: 2",
            "Nowhere: 0",
        ],
    );
    check(
        &chart(POINTS),
        "point",
        &["b: 1, 2", "b: 2, 4", "b: 3, 1", "b: 4, 8", "b: 5, 3"],
    );
    // A line: one point per non-null value, series by series.
    check(
        &chart(MONTHS),
        "point",
        &[
            "orders: 2024-01, 120",
            "orders: 2024-02, 160",
            "orders: 2024-04, 200",
            "revenue: 2024-01, 3,000.5",
            "revenue: 2024-02, 4,000",
            "revenue: 2024-03, 2,500",
            "revenue: 2024-04, 5,000",
        ],
    );
}

#[test]
fn without_colour_there_are_no_escape_codes() {
    for c in &every_kind() {
        let text = c.to_text(&plain(72)).unwrap();
        assert!(!text.contains('\x1b'), "{text}");
        let coloured = c
            .to_text(&TextOptions {
                colour: true,
                ..plain(72)
            })
            .unwrap();
        assert!(coloured.contains("\x1b["), "colour when asked: {coloured}");
    }
    // A label cannot bring its own escape codes.
    let c = chart(r#"[["k","v"],["\u001b[31mred",1]]"#);
    assert!(!c.to_text(&plain(72)).unwrap().contains('\x1b'));
}

#[test]
fn nulls_and_non_numbers_are_gaps_never_zeros() {
    // A mixed column: 2 numbers, a string, NaN as text, an infinity-sized
    // number, a null.
    let c = chart(r#"[["k","v"],["a",5],["b","n/a"],["c","NaN"],["d",1e400],["e",null],["f",10]]"#);
    assert_eq!(c.skipped.len(), 1);
    assert_eq!((c.skipped[0].column.as_str(), c.skipped[0].cells), ("v", 3));
    let Body::Bars { values, .. } = &c.body else {
        panic!("bars: {:?}", c.body)
    };
    assert_eq!(values, &[Some(5.0), None, None, None, None, Some(10.0)]);
    let text = c.to_text(&plain(50)).unwrap();
    let bars: Vec<usize> = text
        .lines()
        .filter(|l| l.contains('│'))
        .map(bar_eighths)
        .collect();
    assert_eq!(bars.iter().filter(|l| **l > 0).count(), 2, "{text}");
    // A gap in a line: the null month draws no dot of orders.
    let c = chart(MONTHS);
    let Body::Lines { series, .. } = &c.body else {
        panic!("lines")
    };
    assert_eq!(series[0].values[2], None);
}

#[test]
fn any_size_draws_or_says_too_small_without_a_panic() {
    for c in &every_kind() {
        for width in 0..100 {
            for height in [None, Some(0), Some(1), Some(5), Some(8), Some(12), Some(40)] {
                let o = TextOptions {
                    width,
                    height,
                    colour: false,
                };
                match c.to_text(&o) {
                    Ok(text) => {
                        assert!(width >= connecty_chart::MIN_WIDTH);
                        for line in text.lines() {
                            assert!(
                                unicode_width::UnicodeWidthStr::width(line) <= width,
                                "{width}: {line:?}\n{text}"
                            );
                        }
                        if let Some(h) = height {
                            assert!(text.lines().count() <= h, "{width}×{h}:\n{text}");
                        }
                    }
                    Err(small) => assert!(small.to_string().starts_with("the chart needs")),
                }
            }
        }
    }
}

#[test]
fn no_chart_says_why_and_overrides_are_checked() {
    let why = |json: &str| match chart_of(json, &Request::default()) {
        Outcome::NoChart(why) => why,
        Outcome::Chart(c) => panic!("a chart: {c:?}"),
    };
    assert_eq!(why(r#"[["a","b"]]"#), NoChart::Empty);
    assert_eq!(why(r#"[["a"],["x"]]"#), NoChart::NoNumeric);
    let many: Vec<String> = (0..51).map(|i| format!(r#"["k{i}",{i}]"#)).collect();
    assert_eq!(
        why(&format!(r#"[["k","v"],{}]"#, many.join(","))),
        NoChart::TooManyBars(51)
    );
    let df = DataFrame::from_json(MONTHS).unwrap();
    let batch = connecty_arrow::to_record_batch(&df, None).unwrap();
    let r = Request {
        y: vec!["profit".to_string()],
        ..Request::default()
    };
    let e = Chart::from_batch(&batch, None, &r, None).unwrap_err();
    assert_eq!(
        e.message,
        "there is no column \"profit\"; the columns are: month (time), orders (number), revenue (number)"
    );
    let r = Request {
        y: vec!["orders".to_string()],
        kind: Some(Kind::Bar),
        ..Request::default()
    };
    let Outcome::Chart(c) = Chart::from_batch(&batch, None, &r, None).unwrap() else {
        panic!()
    };
    assert!(matches!(c.body, Body::Bars { .. }));
}

#[test]
fn long_labels_are_cut_with_an_ellipsis() {
    let c = chart(
        r#"[["customer","revenue"],["Anna Maria Kowalczyk-Wiśniewska of Kraków",1200.5],["Ben",300]]"#,
    );
    let text = c.to_text(&plain(48)).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.contains('│')).collect();
    // A third of the width for labels: 16 columns, the last one `…`.
    assert!(rows[0].starts_with("Anna Maria Kowa… │"), "{text}");
    assert!(rows[1].starts_with("Ben              │"), "{text}");
    assert!(rows[0].ends_with(" 1,200.5"), "{text}");
}
