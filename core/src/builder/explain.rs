//! Where each canonical field came from, for `Options::explain`.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;

use super::Draft;
use crate::Alert;

/// Field → origin for an alert's draft, pointers made absolute.
pub(super) fn explain_fields(d: &Draft<'_>) -> BTreeMap<String, String> {
    d.origins
        .iter()
        .map(|(field, origin)| (String::from(*field), d.resolve(origin)))
        .collect()
}

pub(super) fn note(why: &mut Option<BTreeMap<String, String>>, field: &str, text: &str) {
    if let Some(w) = why {
        w.insert(String::from(field), String::from(text));
    }
}

/// Every canonical field gets an entry: what was recorded, or why it is empty.
pub(super) fn fill_absent(w: &mut BTreeMap<String, String>, a: &Alert<'_>) {
    let empty = [
        ("description", a.description.is_none()),
        ("severity_raw", a.severity_raw.is_none()),
        ("service", a.service.is_none()),
        ("host", a.host.is_none()),
        ("labels", a.labels.is_empty()),
        ("annotations", a.annotations.is_empty()),
        ("started_at", a.started_at.is_none()),
        ("ended_at", a.ended_at.is_none()),
        ("links", a.links.is_empty()),
        ("source_ref", a.source_ref.is_none()),
    ];
    for (field, is_empty) in empty {
        if is_empty {
            let text = match w.get(field) {
                // A derivation that already says why it is null.
                Some(why) if why.starts_with("null") => continue,
                Some(origin) => {
                    format!("{origin}: present but unusable (empty or invalid), so null")
                }
                None => String::from("absent"),
            };
            w.insert(String::from(field), text);
        } else {
            w.entry(String::from(field))
                .or_insert_with(|| String::from("set by the sender's reader"));
        }
    }
    for field in ["title", "status", "dedup_key"] {
        w.entry(String::from(field))
            .or_insert_with(|| String::from("set by the sender's reader"));
    }
}
