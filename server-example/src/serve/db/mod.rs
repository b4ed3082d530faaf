//! The store: one SQLite file in WAL mode, migrated at start. Every write that
//! a response acknowledges is committed before the response is sent.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::config::Durability;

mod queries;
mod schema;

pub use queries::*;
pub use schema::migrate;

/// What a job hands back once it has run: called with `None` when its writes are
/// committed, or with why they were lost, it sends the caller its answer.
type Reply = Box<dyn FnOnce(Option<String>) + Send>;

/// A job for the database thread.
type Job = Box<dyn FnOnce(&Connection) -> Reply + Send>;

/// Most jobs committed together.
const MAX_BATCH: usize = 64;

/// How long a batch waits for company once the last one was shared. Under
/// concurrent load a job arrives every few tens of microseconds: waiting this
/// long lets several share one commit (fewer WAL pages written per request,
/// fewer checkpoint stalls, a lower tail latency), while a lone request on an
/// idle server (whose last batch ran alone) never waits.
const GATHER: std::time::Duration = std::time::Duration::from_micros(50);

/// Shared handle to the one connection, owned by a dedicated thread that runs
/// the jobs in arrival order. Jobs that queue up meanwhile run in one transaction
/// (each job's own transaction is a savepoint inside it) and are answered after
/// its commit: one commit, one lock and one WAL append for the lot, and no
/// mutex handed between threads with a wake-up per request.
#[derive(Clone)]
pub struct Db(mpsc::Sender<Job>);

pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The time as RFC 3339 text, formatted once per second per thread.
pub fn now_text() -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let now = now_unix();
    LAST.with_borrow_mut(|(at, text)| {
        if *at != now {
            *text = alertgate::unix_to_rfc3339(now).unwrap_or_default();
            *at = now;
        }
        text.clone()
    })
}

impl Db {
    /// Opens (creating) the file, sets WAL and applies pending migrations.
    pub fn open(path: &Path, durability: Durability) -> rusqlite::Result<Db> {
        let mut c = Connection::open(path)?;
        c.pragma_update(None, "journal_mode", "WAL")?;
        // FULL fsyncs the WAL at each commit, so an acknowledged write survives a
        // power loss; NORMAL in WAL mode survives a killed process only. Group
        // commit (`run_batch`) shares each fsync among the requests waiting.
        let synchronous = match durability {
            Durability::Full => "FULL",
            Durability::Process => "NORMAL",
        };
        c.pragma_update(None, "synchronous", synchronous)?;
        c.pragma_update(None, "foreign_keys", "ON")?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        // 16 MiB of page cache (the default is 2 MiB) and temporary tables in memory.
        c.pragma_update(None, "cache_size", -16384)?;
        c.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoints (a copy into the main file and an fsync) every 8000 pages of WAL
        // (32 MiB) rather than every 1000: a busy table's last page is rewritten by
        // many commits and copied once per checkpoint. The copying is done ahead by
        // `checkpointer` on a thread of its own, so the database thread's checkpoint
        // (which restarts the WAL, bounding its size) finds little left to copy or sync.
        c.pragma_update(None, "wal_autocheckpoint", 8000)?;
        // Plans that do not depend on bound values. Without it, a statement whose plan
        // looked at a parameter (the joins of fold) is expired by rusqlite's
        // clear_bindings when it goes back to the cache, and parsed again on each use.
        c.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        migrate(&mut c)?;
        // The request paths' statements are kept prepared by `with_hot`; the rest
        // (listings, sessions, deliveries) go through rusqlite's cache.
        c.set_prepared_statement_cache_capacity(64);
        let commits = Arc::new(AtomicU64::new(0));
        let checkpoints = Connection::open(path)?;
        checkpoints.busy_timeout(std::time::Duration::from_secs(5))?;
        checkpoints.pragma_update(None, "synchronous", synchronous)?;
        let seen = commits.clone();
        std::thread::Builder::new()
            .name(String::from("alertgate-ckpt"))
            .spawn(move || checkpointer(&checkpoints, &seen))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name(String::from("alertgate-db"))
            .spawn(move || {
                // The connection lives as long as the process (this thread never
                // ends before it): its hot statements can stay prepared beside it.
                let c: &'static Connection = Box::leak(Box::new(c));
                HOME.set(Some(c));
                let mut shared = false;
                while let Ok(first) = rx.recv() {
                    if shared {
                        std::thread::sleep(GATHER);
                    }
                    shared = run_batch(c, first, &rx) > 1;
                    // Relaxed: a hint for the checkpointer, which reads the WAL itself.
                    commits.fetch_add(1, Ordering::Relaxed);
                }
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Db(tx))
    }

    /// Runs `f` with the connection on the database thread; answers once its
    /// writes are committed. Write transactions in `f` use `CachedSavepoint`, which
    /// nests inside the batch's transaction (and is one of its own when alone).
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> rusqlite::Result<T> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Box::new(move |c: &Connection| -> Reply {
                let out = f(c);
                Box::new(move |lost: Option<String>| {
                    let _ = reply.send(match lost {
                        None => out,
                        Some(why) => Err(rusqlite::Error::ToSqlConversionFailure(why.into())),
                    });
                })
            }))
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// How often the checkpointer looks for new commits.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Copies committed WAL frames into the database file, on its own connection,
/// whenever the database thread has committed since the last look. A passive
/// checkpoint takes no lock that a writer waits for: the database thread keeps
/// appending meanwhile. Under a steady stream of writes it never catches up
/// with the last commit, so the WAL is restarted by the database thread's own
/// automatic checkpoint, which then has only the frames since the last pass
/// to copy and sync: the database thread stalls on less I/O. Durability is
/// unchanged: a checkpoint fsyncs the WAL before it copies from it.
fn checkpointer(c: &Connection, commits: &Arc<AtomicU64>) {
    let mut last = commits.load(Ordering::Relaxed);
    loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        // The database thread holds the other count: once it has ended, so does this.
        if Arc::strong_count(commits) == 1 {
            return;
        }
        let now = commits.load(Ordering::Relaxed);
        if now == last {
            continue;
        }
        last = now;
        if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "database checkpoint failed");
        }
    }
}

/// Runs one job. A panicking job drops its reply (the caller gets an error);
/// its savepoint rolls back on unwind, so the connection stays usable.
fn run_job(c: &Connection, job: Job) -> Option<Reply> {
    std::panic::catch_unwind(AssertUnwindSafe(|| job(c))).ok()
}

/// Runs `first`, alone when nothing else is queued (in autocommit mode or its
/// own savepoint, as without batching). Otherwise runs it and every job that
/// arrives meanwhile, up to `MAX_BATCH`, in one transaction, and answers them
/// after its commit: the busier the server, the more each commit carries.
/// How many jobs it ran.
fn run_batch(c: &Connection, first: Job, rx: &mpsc::Receiver<Job>) -> usize {
    let second = match rx.try_recv() {
        Ok(job) => job,
        Err(_) => {
            if let Some(r) = run_job(c, first) {
                r(None);
            }
            return 1;
        }
    };
    if let Err(e) = with_hot(c, "BEGIN", |s| s.execute([])) {
        tracing::error!(error = %e, "database: cannot begin a transaction");
        for job in [first, second] {
            if let Some(r) = run_job(c, job) {
                r(None);
            }
        }
        return 2;
    }
    let mut done: Vec<Reply> = Vec::with_capacity(MAX_BATCH);
    let mut next = Some(first);
    let mut queued = Some(second);
    let mut ran = 0;
    while let Some(job) = next.take() {
        let reply = run_job(c, job);
        ran += 1;
        if c.is_autocommit() {
            // An error rolled the whole transaction back (I/O, disk full): the jobs
            // before lost their writes; this one's answer stands. The rest of the
            // queue is picked up by the next batch.
            rolled_back();
            for r in done.drain(..) {
                r(Some(String::from("the transaction was rolled back")));
            }
            if let Some(r) = reply {
                r(None);
            }
            if let Some(job) = queued.take() {
                ran += 1;
                if let Some(r) = run_job(c, job) {
                    r(None);
                }
            }
            return ran;
        }
        done.extend(reply);
        next = queued.take();
        if next.is_none() && ran < MAX_BATCH {
            next = rx.try_recv().ok();
        }
    }
    let lost = with_hot(c, "COMMIT", |s| s.execute([])).err().map(|e| {
        tracing::error!(error = %e, "database commit failed");
        let _ = c.execute_batch("ROLLBACK");
        rolled_back();
        e.to_string()
    });
    for r in done {
        r(lost.clone());
    }
    ran
}

thread_local! {
    /// The database thread's connection.
    static HOME: std::cell::Cell<Option<&'static Connection>> = const { std::cell::Cell::new(None) };
    /// The statements the request paths run, prepared once on the database thread
    /// and kept by the address of their SQL text (a `&'static str`): rusqlite's
    /// statement cache hashes the text and moves the statement out of and back
    /// into an LRU list on every use, a tenth of the database thread's time.
    static HOT: std::cell::RefCell<Vec<(usize, rusqlite::Statement<'static>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with the statement for `sql`: on the database thread one prepared
/// once and kept, elsewhere (tests) rusqlite's statement cache.
pub fn with_hot<T>(
    c: &Connection,
    sql: &'static str,
    f: impl FnOnce(&mut rusqlite::Statement<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    match HOME.get() {
        Some(home) if std::ptr::eq(home, c) => HOT.with_borrow_mut(|hot| {
            let key = sql.as_ptr() as usize;
            let at = match hot.iter().position(|(k, _)| *k == key) {
                Some(at) => at,
                None => {
                    hot.push((key, home.prepare(sql)?));
                    hot.len() - 1
                }
            };
            f(&mut hot[at].1)
        }),
        _ => {
            let mut st = c.prepare_cached(sql)?;
            f(&mut st)
        }
    }
}

thread_local! {
    /// How many batch transactions were rolled back as a whole on this (the
    /// database) thread.
    static ROLLBACKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

pub(super) fn rolled_back() {
    ROLLBACKS.set(ROLLBACKS.get() + 1);
}

/// How many batch transactions were rolled back as a whole so far: what a job
/// remembers of the rows it wrote is stale once this has moved (a job's own
/// rolled-back savepoint it knows about itself).
pub fn rollbacks() -> u64 {
    ROLLBACKS.get()
}

/// A savepoint whose statements are prepared once, for the hot path: released by
/// `commit`, rolled back when dropped without it (an error or a panic). Alone it
/// is a transaction; in a batch, it nests in the batch's.
pub struct CachedSavepoint<'c> {
    c: &'c Connection,
    released: bool,
}

impl<'c> CachedSavepoint<'c> {
    pub fn new(c: &'c Connection) -> rusqlite::Result<Self> {
        with_hot(c, "SAVEPOINT alertgate_cached", |s| s.execute([]))?;
        Ok(CachedSavepoint { c, released: false })
    }

    pub fn commit(mut self) -> rusqlite::Result<()> {
        with_hot(self.c, "RELEASE alertgate_cached", |s| s.execute([]))?;
        self.released = true;
        Ok(())
    }
}

impl Drop for CachedSavepoint<'_> {
    fn drop(&mut self) {
        if !self.released {
            let _ = self
                .c
                .execute_batch("ROLLBACK TO alertgate_cached; RELEASE alertgate_cached");
        }
    }
}

impl std::ops::Deref for CachedSavepoint<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.c
    }
}

/// The database thread is gone, or the job panicked.
fn gone() -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure("the database thread did not answer".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Each answered job's number and what its reply was told, in answer order.
    type Answers = Arc<Mutex<Vec<(i64, Option<String>)>>>;

    /// A job that inserts `n` and records, in `answers`, what its reply was told.
    fn insert(n: i64, answers: &Answers) -> Job {
        let answers = answers.clone();
        Box::new(move |c: &Connection| -> Reply {
            c.execute("INSERT INTO t (n) VALUES (?1)", [n]).unwrap();
            Box::new(move |lost| answers.lock().unwrap().push((n, lost)))
        })
    }

    /// A lone job runs alone (the next batch will not wait for company); queued
    /// jobs share one transaction and are all answered after its commit.
    #[test]
    fn a_batch_runs_what_is_queued_and_says_how_many() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        let answers: Answers = Arc::default();
        let (tx, rx) = mpsc::channel::<Job>();
        assert_eq!(run_batch(&c, insert(1, &answers), &rx), 1);
        for n in 2..=4 {
            tx.send(insert(n, &answers)).unwrap();
        }
        assert_eq!(run_batch(&c, insert(5, &answers), &rx), 4);
        assert!(c.is_autocommit(), "the batch's transaction is committed");
        let count: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 5);
        let got = answers.lock().unwrap().clone();
        assert_eq!(got, [(1, None), (5, None), (2, None), (3, None), (4, None)]);
    }
}
