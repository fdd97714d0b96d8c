//! The conformance matrix inside `cargo test`: every fixture on every
//! adapter must pass.

use connecty_testkit::Fixture;

#[test]
fn every_fixture_passes_on_every_adapter() {
    let fixtures = Fixture::load_builtin().expect("the shipped fixtures load");
    assert!(fixtures.len() >= 30, "only {} fixtures", fixtures.len());
    let adapters = connecty_conformance::adapters();
    let names: Vec<&str> = adapters.iter().map(|a| a.name()).collect();
    for required in ["mock", "hyper", "ureq"] {
        assert!(
            names.contains(&required),
            "adapter {required} missing from {names:?}"
        );
    }
    let matrix = connecty_conformance::matrix::run(
        &fixtures,
        &adapters,
        connecty_conformance::default_threads(),
    );
    assert!(matrix.all_passed(), "\n{}", matrix.render());
}

#[test]
fn a_failing_fixture_is_reported_with_its_first_difference() {
    let fixture = Fixture::from_json(
        "health_with_a_wrong_expectation",
        r#"{"description": "health answers 200, but the fixture expects an error",
            "call": {"op": "health"},
            "exchanges": [{"request": {"method": "GET", "path": "/v1/health"}, "response": {"status": 200}}],
            "outcome": {"error": {"kind": "server"}}}"#,
    )
    .expect("valid fixture");
    let adapters = connecty_conformance::adapters();
    let matrix = connecty_conformance::matrix::run(&[fixture], &adapters, 2);
    assert!(!matrix.all_passed());
    assert_eq!(matrix.failures().count(), adapters.len());
    let text = matrix.render();
    assert!(
        text.contains("health_with_a_wrong_expectation  FAIL"),
        "{text}"
    );
    assert!(
        text.contains("outcome: expected error server, got ok (healthy)"),
        "{text}"
    );
    assert!(text.contains("0 of 1 fixtures pass"), "{text}");
}
