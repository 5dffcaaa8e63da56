//! What a run did, told on stderr: problems as they happen (always), a progress bar while reading
//! (only on a terminal, never with `-q`), and a closing summary that also decides the exit code.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::decode::{DecodeError, ObjectOutcome};
use crate::source::{Failure, Listing, ObjectRef, Tally};

/// How chatty a run is on stderr.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    /// Show a progress bar.
    pub progress: bool,
    /// Print the run summary at the end.
    pub summary: bool,
}

#[derive(Default)]
struct Totals {
    listed_objects: u64,
    listed_bytes: u64,
    skipped: BTreeMap<String, Tally>,
    read_objects: u64,
    read_bytes: u64,
    json_bytes: u64,
    events: u64,
    out_of_scope: u64,
    counted_only: u64,
    failed: BTreeMap<&'static str, u64>,
    defect_objects: u64,
    defect_records: u64,
    /// Keys already reported, so an object read by two scans of one query is told of once.
    told: HashSet<String>,
    scans: usize,
    /// Whether objects were decoded (a query) or only listed (`ls`).
    decoding: bool,
    /// What the run's cluster jobs cost in traffic (nothing when it ran here).
    cluster: ClusterTraffic,
}

/// The traffic of a run's cluster jobs: what the plans sent each task and what came back to the client,
/// so the cost of spreading a run can be judged.
#[derive(Debug, Default, Clone, Copy)]
struct ClusterTraffic {
    tasks: u64,
    plan_bytes: u64,
    returned_bytes: u64,
}

/// Collects the counts of a run and tells the user about problems.
pub struct Reporter {
    options: ReportOptions,
    /// Also told of every object read (an executor passing its reads on to the client).
    observer: Option<ObjectObserver>,
    start: Instant,
    totals: Mutex<Totals>,
    bar: Mutex<Option<ProgressBar>>,
}

/// A callback told of each object read, with how the read went.
pub type ObjectObserver = Box<dyn Fn(&ObjectRef, &Result<ObjectOutcome, DecodeError>) + Send + Sync>;

/// Identifies one pass over the listed objects; only the first pass of a run is counted in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanId(usize);

impl Reporter {
    /// A reporter for one run.
    pub fn new(options: ReportOptions) -> Reporter {
        Reporter {
            options,
            start: Instant::now(),
            totals: Mutex::default(),
            bar: Mutex::new(None),
            observer: None,
        }
    }

    /// A silent reporter that hands every object's outcome to `observer`.
    pub fn observing(observer: ObjectObserver) -> Reporter {
        Reporter {
            observer: Some(observer),
            ..Reporter::new(ReportOptions::default())
        }
    }

    fn totals(&self) -> std::sync::MutexGuard<'_, Totals> {
        self.totals.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Prints one line on stderr without tearing the progress bar.
    pub fn println(&self, line: &str) {
        match &*self.bar.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Reports one failed object or folder (once per key).
    pub fn failure(&self, f: &Failure) {
        let first = {
            let mut t = self.totals();
            let first = t.told.insert(f.key.clone());
            if first {
                *t.failed.entry(f.category).or_default() += 1;
            }
            first
        };
        if first {
            self.println(&format!("ctscan: {}: {}", f.key, f.reason));
        }
    }

    /// Records a listing and starts a pass over its objects.
    pub fn begin_scan(&self, listing: &Listing) -> ScanId {
        let id = {
            let mut t = self.totals();
            let id = t.scans;
            t.scans += 1;
            if id == 0 {
                t.listed_objects = listing.objects.len() as u64;
                t.listed_bytes = listing.bytes();
                t.skipped = listing.skipped.clone();
            }
            id
        };
        for f in &listing.failures {
            self.failure(f);
        }
        if id == 0 && self.options.progress {
            let bar = ProgressBar::with_draw_target(Some(listing.bytes()), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
        }
        ScanId(id)
    }

    /// Records the outcome of reading one object.
    pub fn object_done(&self, scan: ScanId, obj: &ObjectRef, outcome: &Result<ObjectOutcome, DecodeError>) {
        if let Some(observe) = &self.observer {
            observe(obj, outcome);
            return;
        }
        match outcome {
            Ok(o) => {
                let tell = {
                    let mut t = self.totals();
                    t.decoding = true;
                    if scan.0 == 0 {
                        t.read_objects += 1;
                        t.read_bytes += obj.size;
                        t.json_bytes += o.json_bytes as u64;
                        t.events += o.rows as u64;
                        t.out_of_scope += o.out_of_scope as u64;
                        t.counted_only += u64::from(o.counted_only);
                    }
                    let tell = o.defects > 0 && t.told.insert(obj.key.clone());
                    if tell {
                        t.defect_objects += 1;
                        t.defect_records += o.defects as u64;
                    }
                    tell
                };
                if tell {
                    let mut line = format!(
                        "ctscan: {}: {} defective record(s): {}",
                        obj.key,
                        o.defects,
                        o.details.join("; ")
                    );
                    if o.defects > o.details.len() {
                        let _ = write!(line, "; and {} more", o.defects - o.details.len());
                    }
                    self.println(&line);
                }
            }
            Err(e) => {
                self.totals().decoding = true;
                self.failure(&Failure {
                    key: obj.key.clone(),
                    category: e.category(),
                    reason: e.to_string(),
                })
            }
        }
        if scan.0 == 0
            && let Some(bar) = &*self.bar.lock().unwrap_or_else(|e| e.into_inner())
        {
            bar.inc(obj.size);
            let t = self.totals();
            let secs = self.start.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{}/{} objects, {} events ({:.0}/s)",
                t.read_objects,
                t.listed_objects,
                t.events,
                t.events as f64 / secs
            ));
        }
    }

    /// Whether any input could not be read completely (exit code 1).
    pub fn had_problems(&self) -> bool {
        let t = self.totals();
        !t.failed.is_empty() || t.defect_records > 0
    }

    /// Objects or folders that could not be read, of every category.
    pub fn unreadable(&self) -> u64 {
        self.totals().failed.values().sum()
    }

    /// Events read by the first pass.
    pub fn events(&self) -> u64 {
        self.totals().events
    }

    /// Whether the run ends with its summary (what is counted only for it need not be counted otherwise).
    pub fn summarises(&self) -> bool {
        self.options.summary
    }

    /// Notes a job sent to a cluster: its tasks, and the bytes of the ctscan part of the plan each of them
    /// receives.
    pub fn note_cluster_plan(&self, tasks: u64, plan_bytes: u64) {
        let mut t = self.totals();
        t.cluster.tasks += tasks;
        t.cluster.plan_bytes = t.cluster.plan_bytes.max(plan_bytes);
    }

    /// Notes bytes (of Arrow data) a cluster job returned to this client.
    pub fn note_returned(&self, bytes: u64) {
        self.totals().cluster.returned_bytes += bytes;
    }

    /// The closing summary, several lines.
    pub fn summary(&self) -> String {
        let t = self.totals();
        let elapsed = self.start.elapsed().as_secs_f64();
        let mut s = if t.decoding {
            format!(
                "ctscan: {} of {} objects read ({}, {} of JSON), {} events, {elapsed:.2} s",
                t.read_objects,
                t.listed_objects,
                HumanBytes(t.read_bytes),
                HumanBytes(t.json_bytes),
                t.events,
            )
        } else {
            format!(
                "ctscan: {} objects listed ({}), {elapsed:.2} s",
                t.listed_objects,
                HumanBytes(t.listed_bytes)
            )
        };
        if t.out_of_scope > 0 {
            let _ = write!(s, "; {} events outside the window or scope", t.out_of_scope);
        }
        if t.counted_only > 0 {
            let _ = write!(
                s,
                "\nctscan: {} objects only counted: none holds a literal the query's filter needs",
                t.counted_only
            );
        }
        let list = |m: &mut dyn Iterator<Item = (String, u64)>| -> String {
            m.map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
        };
        if !t.skipped.is_empty() {
            let n: u64 = t.skipped.values().map(|v| v.objects).sum();
            let detail = list(&mut t.skipped.iter().map(|(k, v)| (k.clone(), v.objects)));
            let _ = write!(s, "\nctscan: skipped {n} objects: {detail}");
        }
        if !t.failed.is_empty() {
            let n: u64 = t.failed.values().sum();
            let detail = list(&mut t.failed.iter().map(|(k, v)| (k.to_string(), *v)));
            let _ = write!(s, "\nctscan: failed {n} objects: {detail}");
        }
        if t.defect_records > 0 {
            let _ = write!(
                s,
                "\nctscan: {} defective records in {} objects",
                t.defect_records, t.defect_objects
            );
        }
        let c = t.cluster;
        if c.tasks > 0 {
            let _ = write!(
                s,
                "\nctscan: cluster: {} tasks, plan {} bytes per task at most, {} bytes returned to the client",
                c.tasks, c.plan_bytes, c.returned_bytes
            );
        }
        s
    }

    /// Clears the progress bar and prints the summary when asked for.
    pub fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
        if self.options.summary {
            eprintln!("{}", self.summary());
        }
    }
}
