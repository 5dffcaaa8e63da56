//! What an executor holds across the tasks it runs: its threads and the S3 options it serves. The codec
//! an executor decodes plans with carries it to every operator it builds, so no task reads a global.

use crate::source::s3::ServedS3;

/// One executor's own settings.
#[derive(Debug)]
pub struct Worker {
    /// Threads a task decodes and encodes on (the executor's `--threads`).
    pub threads: usize,
    /// The S3 options this executor serves.
    pub served: ServedS3,
}

impl Worker {
    /// An executor's settings.
    pub fn new(threads: usize) -> Worker {
        Worker {
            threads: threads.max(1),
            served: ServedS3::default(),
        }
    }
}

impl Default for Worker {
    /// Plans decoded where they never run (the scheduler) need no real settings.
    fn default() -> Self {
        Worker::new(1)
    }
}
