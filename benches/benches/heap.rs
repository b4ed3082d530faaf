//! Peak heap per ingest, measured with a counting allocator, as a ratio of the body size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use alertgate::{Options, Request, ingest};
use alertgate_benches::{alertmanager, alertmanager_1mb, vector};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: ptr came from System.alloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn peak_of(body: &[u8]) -> usize {
    let headers = [("User-Agent", "Alertmanager/0.27.0")];
    let req = Request {
        body,
        content_type: Some("application/json"),
        headers: &headers,
    };
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = ingest(&req, &Options::default()).unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    drop(out);
    peak
}

fn main() {
    println!(
        "{:<28} {:>12} {:>14} {:>8}",
        "payload", "body bytes", "peak heap", "ratio"
    );
    for (name, body) in [
        (
            "alertmanager_1_alert",
            vector("alertmanager/firing_single.json"),
        ),
        ("alertmanager_50_alerts", alertmanager(50)),
        ("alertmanager_1mb", alertmanager_1mb()),
    ] {
        let peak = peak_of(&body);
        println!(
            "{name:<28} {:>12} {:>14} {:>8.2}",
            body.len(),
            peak,
            peak as f64 / body.len() as f64
        );
    }
}
