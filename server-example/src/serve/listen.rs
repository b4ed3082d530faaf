//! The connections: accepted up to a cap, served by hyper with its header
//! timer (which also bounds an idle keep-alive connection), and drained on
//! shutdown within a deadline, after which what is left is dropped.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

use super::ServeArgs;
use super::access::Peer;

/// Serves `app` on `listener` until `shutdown` resolves, then waits at most
/// `--shutdown-timeout` for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    args: &ServeArgs,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(args.header_timeout)
        .keep_alive(true);
    let slots = Arc::new(Semaphore::new(connection_cap(args.max_connections)));
    let open = metrics::gauge!("alertgate_connections_open");
    let refused = metrics::counter!("alertgate_connections_refused_total");
    let graceful = GracefulShutdown::new();
    let per_peer: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept:
                    // wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refused.increment(1);
            drop(stream);
            continue;
        };
        let Some(peer_slot) = PeerSlot::take(&per_peer, peer.ip(), args) else {
            refused.increment(1);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(Peer(peer));
            app.clone().call(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let open = open.clone();
        open.increment(1.0);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            open.decrement(1.0);
            drop(peer_slot);
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(args.shutdown_timeout) => {
            tracing::warn!("connections still open at the shutdown deadline are dropped");
        }
    }
}

/// One connection counted against its peer address; released on drop.
struct PeerSlot {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PeerSlot {
    /// `None` when `ip` already holds `--max-connections-per-ip`; `Some(None)`
    /// for a trusted proxy, which carries many clients and is not counted.
    fn take(
        counts: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        ip: IpAddr,
        args: &ServeArgs,
    ) -> Option<Option<PeerSlot>> {
        if args.trusted_proxies.iter().any(|net| net.contains(&ip)) {
            return Some(None);
        }
        let mut map = counts.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(ip).or_insert(0);
        if *n >= args.max_connections_per_ip.max(1) {
            return None;
        }
        *n += 1;
        Some(Some(PeerSlot {
            counts: counts.clone(),
            ip,
        }))
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Descriptors kept for the database, the log and outgoing requests.
const RESERVED_FILES: u64 = 64;

/// Raises the soft limit on open files to the hard one and returns the
/// connection cap that fits under it, so the cap (not running out of
/// descriptors, which stalls `accept`) is what refuses connections.
fn connection_cap(wanted: usize) -> usize {
    let files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    };
    let fits = usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
    if fits < wanted {
        tracing::warn!(
            wanted,
            fits,
            "--max-connections is above what the open-files limit allows"
        );
    }
    wanted.min(fits).max(1)
}
