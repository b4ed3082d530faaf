//! Golden tests: `template_brief` over every shared vector. The briefs live in
//! `tests/golden/template_briefs.json`; `BLESS=1` rewrites them for review.

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use alertgate_synth::template_brief;

#[test]
fn template_briefs_match_the_golden_file() {
    let golden_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/template_briefs.json");
    let golden: BTreeMap<String, String> = std::fs::read(&golden_path)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or_default();
    let mut got = BTreeMap::new();
    for case in support::cases() {
        if let Ok(ingest) = case.ingest() {
            let brief = template_brief(&ingest);
            // 2–4 sentences, never empty.
            let sentences = brief.matches(". ").count() + 1;
            assert!(
                (2..=4).contains(&sentences),
                "{}/{}: {brief}",
                case.group,
                case.name
            );
            got.insert(format!("{}/{}", case.group, case.name), brief);
        }
    }
    assert!(got.len() >= 40);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
        let mut text = serde_json::to_string_pretty(&got).unwrap();
        text.push('\n');
        std::fs::write(&golden_path, text).unwrap();
        return;
    }
    let diffs: Vec<String> = got
        .iter()
        .filter(|(k, v)| golden.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}:\n  golden: {:?}\n  got:    {v}", golden.get(k)))
        .collect();
    assert!(
        diffs.is_empty(),
        "{} briefs differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    assert_eq!(
        got.len(),
        golden.len(),
        "the golden file has briefs for vectors that no longer exist"
    );
}
