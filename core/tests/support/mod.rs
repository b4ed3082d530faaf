//! Loading the shared vectors in `tests/vectors/`, the way every binding reads
//! them. Used by the core's tests and (through `#[path]`) by other crates'.
#![allow(dead_code)] // each test binary uses part of it

use std::fs;
use std::path::{Path, PathBuf};

use alertgate::{Error, Ingest, Limits, Mapping, Options, Request, Source, ingest};
use serde_json::Value;

/// One vector: its sender group, case name and body file.
pub struct Case {
    pub group: String,
    pub name: String,
    pub path: PathBuf,
}

impl Case {
    /// The `.request.json` beside the body (null when absent).
    pub fn request(&self) -> Value {
        fs::read(self.path.with_extension("request.json"))
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap_or(Value::Null)
    }

    /// The body bytes.
    pub fn body(&self) -> Vec<u8> {
        fs::read(&self.path).unwrap()
    }

    /// `ingest` as the vector's request describes it.
    pub fn ingest(&self) -> Result<Ingest<'static>, Error> {
        self.ingest_with(|_| {})
    }

    /// Runs the vector with its options changed by `tweak`.
    #[allow(dead_code)] // not every test binary uses it
    pub fn ingest_with(&self, tweak: impl FnOnce(&mut Options)) -> Result<Ingest<'static>, Error> {
        let req = self.request();
        let body = self.body();
        let headers: Vec<(String, String)> = req["headers"]
            .as_array()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        (
                            h[0].as_str().unwrap().to_owned(),
                            h[1].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let mut options = options(&req["options"])?;
        tweak(&mut options);
        let request = Request {
            body: &body,
            content_type: req["content_type"].as_str(),
            headers: &header_refs,
        };
        ingest(&request, &options).map(Ingest::into_owned)
    }
}

/// Options from a vector's `options` object.
fn options(opts: &Value) -> Result<Options, Error> {
    let mut options = Options::default();
    if let Some(src) = opts["source"].as_str() {
        options.source_hint = Some(src.parse::<Source>()?);
    }
    if let Some(t) = opts["max_tier"].as_u64() {
        options.max_tier = t as u32;
    }
    if opts["strict"].as_bool() == Some(true) {
        options.limits = Limits::strict();
    }
    // A mapping is passed as JSON text, as every binding passes it.
    if !opts["mapping"].is_null() {
        options.mapping = Some(Mapping::from_json(&opts["mapping"].to_string())?);
    }
    Ok(options)
}

pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Every payload vector, sorted; `VECTORS=<group>[,<group>…]` limits the set.
pub fn cases() -> Vec<Case> {
    let only = std::env::var("VECTORS").ok();
    let mut out = Vec::new();
    for dir in fs::read_dir(vectors_dir()).unwrap() {
        let dir = dir.unwrap().path();
        let group = dir.file_name().unwrap().to_string_lossy().into_owned();
        // Signature vectors have their own runner.
        if !dir.is_dir() || group == "signatures" {
            continue;
        }
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|g| g == group))
        {
            continue;
        }
        for file in fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            if file.ends_with(".expected.json") || file.ends_with(".request.json") {
                continue;
            }
            let name = file
                .rsplit_once('.')
                .map_or(file.clone(), |(c, _)| c.to_owned());
            out.push(Case {
                group: group.clone(),
                name,
                path,
            });
        }
    }
    out.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    if cfg!(miri) {
        // Miri is ~1000x slower: every 6th vector still reaches most senders.
        out = out.into_iter().step_by(6).collect();
    }
    out
}

/// The canonical JSON of a result, or the error JSON.
pub fn result_json(result: &Result<Ingest, Error>) -> Value {
    match result {
        Ok(out) => serde_json::from_str(&out.to_json()).unwrap(),
        Err(e) => serde_json::from_str(&e.to_json()).unwrap(),
    }
}
