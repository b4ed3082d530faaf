//! `Verifier::verify` next to a bare `hmac` + `sha2` HMAC over the same bytes.

use alertgate::{Scheme, Verifier, VerifyOptions};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    for size in [1usize << 10, 1 << 20] {
        let body = vec![b'x'; size];
        let v = Verifier::new(Scheme::Github, &["s3cret"], &VerifyOptions::default()).unwrap();
        let signed = v.sign(&body, None, None).unwrap();
        let headers: Vec<(&str, &str)> = signed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let mut g = c.benchmark_group(format!("verify_{}k", size >> 10));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::new("alertgate_verify", size), |b| {
            b.iter(|| v.verify(black_box(&headers), black_box(&body), 0).unwrap())
        });
        g.bench_function(BenchmarkId::new("bare_hmac_sha256", size), |b| {
            b.iter(|| {
                let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"s3cret").unwrap();
                m.update(black_box(&body));
                black_box(m.finalize())
            })
        });
        g.finish();
    }
}

criterion_group!(verify_benches, benches);
criterion_main!(verify_benches);
