//! What executors tell the client besides rows: how each object read went (events, defects, or why it
//! could not be read) and how many duplicate copies each partition folded. A run's summary and exit code
//! depend on these, so a bad object read on another machine is still named and counted: each task sends
//! its reports to the client's listener, and waits for the client's acknowledgement, before its last
//! batch is released, so every report is in by the time the results end. A task rerun after a failure
//! reports again; the client keeps one report per object and one count per partition.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::decode::{DecodeError, ObjectOutcome};
use crate::progress::{Reporter, ScanId};
use crate::source::{Location, ObjectRef};

/// How long a task waits for the client to take its reports.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// One report from a task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Message {
    /// One object read.
    Object {
        /// The client's scan the object belongs to.
        scan: u64,
        /// The object's key as shown to users.
        key: String,
        /// Its size as listed.
        size: u64,
        /// What decoding it produced, when it could be read.
        outcome: Option<WireOutcome>,
        /// Why it could not be read: (summary category, full reason).
        error: Option<(String, String)>,
    },
    /// Copies of events one partition of a dedup folded (or counted).
    Duplicates {
        /// The client's dedup table.
        dedup: u64,
        /// The partition.
        partition: usize,
        /// Copies seen.
        count: u64,
    },
}

/// [`ObjectOutcome`] on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WireOutcome {
    rows: usize,
    out_of_scope: usize,
    json_bytes: usize,
    defects: usize,
    details: Vec<String>,
}

impl Message {
    /// The report of one object's read.
    pub fn object(scan: u64, obj: &ObjectRef, outcome: &Result<ObjectOutcome, DecodeError>) -> Message {
        let (outcome, error) = match outcome {
            Ok(o) => (
                Some(WireOutcome {
                    rows: o.rows,
                    out_of_scope: o.out_of_scope,
                    json_bytes: o.json_bytes,
                    defects: o.defects,
                    details: o.details.clone(),
                }),
                None,
            ),
            Err(e) => (None, Some((e.category().to_string(), e.to_string()))),
        };
        Message::Object {
            scan,
            key: obj.key.clone(),
            size: obj.size,
            outcome,
            error,
        }
    }
}

/// The summary categories are a small fixed set; one leaked copy of each keeps `&'static str` intact. The
/// table is a cache keyed by the text itself, so every run in the process may share it.
fn intern(category: &str) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(s) = seen.get(category) {
        return s;
    }
    let s: &'static str = Box::leak(category.to_string().into_boxed_str());
    seen.insert(s);
    s
}

struct ScanSink {
    reporter: Arc<Reporter>,
    scan: ScanId,
    told: HashSet<String>,
}

#[derive(Default)]
struct DedupSink {
    counter: Arc<AtomicU64>,
    partitions: HashMap<usize, u64>,
}

#[derive(Default)]
struct Sinks {
    scans: HashMap<u64, ScanSink>,
    dedups: HashMap<u64, DedupSink>,
    next: u64,
}

/// The client's listener: executors connect to it to hand in their reports.
pub struct Feedback {
    address: String,
    sinks: Mutex<Sinks>,
    /// Objects reported a second time: tasks that had finished were run again (an executor was lost).
    rerun_objects: AtomicU64,
}

impl std::fmt::Debug for Feedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feedback")
            .field("address", &self.address)
            .finish()
    }
}

impl Feedback {
    /// Listens on `bind` (port 0: any free port), announcing `advertise` (or the bound address) to
    /// executors.
    pub fn start(bind: &str, advertise: Option<&str>) -> std::io::Result<Arc<Feedback>> {
        let listener = TcpListener::bind(bind)?;
        let local = listener.local_addr()?;
        let address = match advertise {
            Some(host) => format!("{host}:{}", local.port()),
            None => local.to_string(),
        };
        let feedback = Arc::new(Feedback {
            address,
            sinks: Mutex::default(),
            rerun_objects: AtomicU64::new(0),
        });
        let me = feedback.clone();
        std::thread::Builder::new()
            .name("ctscan-feedback".into())
            .spawn(move || {
                for conn in listener.incoming().flatten() {
                    let me = me.clone();
                    let _ = std::thread::Builder::new()
                        .name("ctscan-feedback-conn".into())
                        .spawn(move || me.serve(conn));
                }
            })?;
        Ok(feedback)
    }

    /// Where executors send reports.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// How many objects were reported again by a rerun of a task that had finished.
    pub fn rerun_objects(&self) -> u64 {
        self.rerun_objects.load(Ordering::Relaxed)
    }

    fn sinks(&self) -> std::sync::MutexGuard<'_, Sinks> {
        self.sinks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a scan whose object reports go to `reporter`; returns its id.
    pub fn register_scan(&self, reporter: Arc<Reporter>, scan: ScanId) -> u64 {
        let mut s = self.sinks();
        s.next += 1;
        let id = s.next;
        s.scans.insert(
            id,
            ScanSink {
                reporter,
                scan,
                told: HashSet::new(),
            },
        );
        id
    }

    /// Registers a dedup whose copies are summed into `counter`; returns its id.
    pub fn register_dedup(&self, counter: Arc<AtomicU64>) -> u64 {
        let mut s = self.sinks();
        s.next += 1;
        let id = s.next;
        s.dedups.insert(
            id,
            DedupSink {
                counter,
                partitions: HashMap::new(),
            },
        );
        id
    }

    fn apply(&self, m: Message) {
        let mut sinks = self.sinks();
        match m {
            Message::Object {
                scan,
                key,
                size,
                outcome,
                error,
            } => {
                let Some(sink) = sinks.scans.get_mut(&scan) else {
                    return;
                };
                if !sink.told.insert(key.clone()) {
                    // A rerun task's second report of the same object: counted once, but the task had
                    // finished, and Ballista may then count its output twice.
                    self.rerun_objects.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                let (reporter, id) = (sink.reporter.clone(), sink.scan);
                drop(sinks);
                let obj = ObjectRef {
                    location: Location::Local(key.clone().into()),
                    key,
                    size,
                    log: None,
                };
                let result = match (outcome, error) {
                    (Some(o), _) => Ok(ObjectOutcome {
                        rows: o.rows,
                        out_of_scope: o.out_of_scope,
                        json_bytes: o.json_bytes,
                        defects: o.defects,
                        details: o.details,
                        // Executors are not given a query's literals.
                        counted_only: false,
                    }),
                    (None, Some((category, reason))) => Err(DecodeError::Fetch {
                        category: intern(&category),
                        reason,
                    }),
                    (None, None) => Err(DecodeError::Read("no report from the executor".into())),
                };
                reporter.object_done(id, &obj, &result);
            }
            Message::Duplicates {
                dedup,
                partition,
                count,
            } => {
                if let Some(sink) = sinks.dedups.get_mut(&dedup) {
                    sink.partitions.insert(partition, count);
                    sink.counter
                        .store(sink.partitions.values().sum(), Ordering::Relaxed);
                }
            }
        }
    }

    fn serve(&self, conn: TcpStream) {
        let _ = conn.set_read_timeout(Some(SEND_TIMEOUT));
        let Ok(mut writer) = conn.try_clone() else {
            return;
        };
        let mut pending = Vec::new();
        for line in BufReader::new(conn).lines() {
            let Ok(line) = line else { return };
            if line == "end" {
                // Applied only once the whole batch is in: a task cut off mid-send reports again on rerun.
                for m in pending.drain(..) {
                    self.apply(m);
                }
                let _ = writer.write_all(b"ok\n");
                return;
            }
            match serde_json::from_str::<Message>(&line) {
                Ok(m) => pending.push(m),
                Err(_) => return,
            }
        }
    }
}

/// The end of a task's stream: hands `messages` (taken once the rows are all out) to the client at
/// `address`, yielding nothing when that works and the error naming the client when it does not, so a
/// task whose reports did not arrive fails instead of finishing.
pub fn hand_in<T: Send + 'static>(
    address: String,
    messages: impl FnOnce() -> Vec<Message> + Send + 'static,
) -> impl futures::Stream<Item = datafusion::error::Result<T>> + Send {
    use datafusion::error::DataFusionError;
    use futures::StreamExt;
    futures::stream::once(async move {
        tokio::task::spawn_blocking(move || deliver(&address, &messages()))
            .await
            .map_err(|e| DataFusionError::Execution(e.to_string()))?
    })
    .filter_map(|r: datafusion::error::Result<()>| async move { r.err().map(Err) })
}

/// [`send`], failing the task with the client's address when the reports do not arrive.
pub fn deliver(address: &str, messages: &[Message]) -> datafusion::error::Result<()> {
    send(address, messages).map_err(|e| {
        datafusion::error::DataFusionError::Execution(format!(
            "cannot hand the reports to the client at {address}: {e}"
        ))
    })
}

/// Sends a task's reports to the client at `address` and waits until it has taken them.
pub fn send(address: &str, messages: &[Message]) -> std::io::Result<()> {
    let addr = address
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("{address} resolves to no address")))?;
    let mut conn = TcpStream::connect_timeout(&addr, SEND_TIMEOUT)?;
    conn.set_read_timeout(Some(SEND_TIMEOUT))?;
    let mut text = String::new();
    for m in messages {
        text.push_str(&serde_json::to_string(m).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    text.push_str("end\n");
    conn.write_all(text.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(conn).read_line(&mut reply)?;
    if reply.trim() == "ok" {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "the client at {address} did not acknowledge the reports"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::ReportOptions;
    use crate::source::Listing;

    #[test]
    fn reports_reach_the_reporter_once_each() {
        let feedback = Feedback::start("127.0.0.1:0", None).unwrap();
        let reporter = Arc::new(Reporter::new(ReportOptions::default()));
        let scan = reporter.begin_scan(&Listing::default());
        let id = feedback.register_scan(reporter.clone(), scan);
        let counter = Arc::new(AtomicU64::new(0));
        let dedup = feedback.register_dedup(counter.clone());
        let obj = |key: &str| ObjectRef {
            key: key.into(),
            size: 10,
            log: None,
            location: Location::Local(key.into()),
        };
        let ok = Ok(ObjectOutcome {
            rows: 3,
            ..ObjectOutcome::default()
        });
        let bad = Err(DecodeError::NoRecords);
        let batch = vec![
            Message::object(id, &obj("a"), &ok),
            Message::object(id, &obj("b"), &bad),
            Message::Duplicates {
                dedup,
                partition: 0,
                count: 2,
            },
        ];
        send(feedback.address(), &batch).unwrap();
        // A rerun of the same task reports the same objects and partition again.
        send(feedback.address(), &batch).unwrap();
        send(
            feedback.address(),
            &[Message::Duplicates {
                dedup,
                partition: 1,
                count: 1,
            }],
        )
        .unwrap();
        assert_eq!(reporter.events(), 3);
        assert_eq!(reporter.unreadable(), 1);
        assert!(reporter.had_problems());
        assert_eq!(counter.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn an_unreachable_client_is_an_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(send(&format!("127.0.0.1:{port}"), &[]).is_err());
    }
}
