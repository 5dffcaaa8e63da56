//! A real S3-compatible server for the S3 tests: moto in server mode on 127.0.0.1 (started per test on a
//! free port, stopped when dropped), archives uploaded with boto3 from moto's own virtual environment, and a
//! small HTTP proxy in front of it that records every request and can answer some with errors (throttling,
//! refusals) the way S3 does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{Run, run};

/// Credentials every test client uses against moto (moto accepts any unless IAM checks are turned on).
pub const ACCESS_KEY: &str = "AKIAMOTOTESTKEY00001";
/// The matching secret; tests assert it never shows in ctscan's output.
pub const SECRET_KEY: &str = "moto-test-secret-never-printed-3141592";

/// Where moto's server is: `$CTSCAN_MOTO`, the virtual environment `.ci/run` creates, or `$PATH`.
fn moto_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CTSCAN_MOTO") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let venv = Path::new(&home).join(".cache/ctscan-moto/bin/moto_server");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("moto_server"))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The Python interpreter of moto's environment (has boto3).
    python: PathBuf,
    log: PathBuf,
    /// moto's version, as `major.minor.patch` numbers.
    pub version: Vec<u32>,
    _dir: tempfile::TempDir,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto, or explains why not: `None` (with a note) outside CI, a panic under `CI=true`.
pub fn moto() -> Option<Moto> {
    match start() {
        Ok(m) => Some(m),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("cannot start the moto S3 server, and CI=true requires it: {why}")
        }
        Err(why) => {
            eprintln!("skipped: cannot start the moto S3 server ({why}); .ci/run installs it");
            None
        }
    }
}

fn start() -> Result<Moto, String> {
    let bin = moto_binary().ok_or("moto_server not found (set CTSCAN_MOTO)")?;
    let python = bin.with_file_name("python");
    let version = Command::new(&python)
        .args(["-c", "import moto; print(moto.__version__)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    eprintln!("moto {version} from {}", bin.display());
    let version: Vec<u32> = version.split('.').map_while(|p| p.parse().ok()).collect();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let log = dir.path().join("moto.log");
    let port = free_port();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let mut moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
        python,
        log,
        version,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = moto.child.try_wait() {
            return Err(format!("moto exited with {status}: {}", moto.log_text()));
        }
        if http_get(port, "/moto-api/").is_some_and(|status| status == 200) {
            return Ok(moto);
        }
        if Instant::now() > deadline {
            return Err(format!("moto did not answer within 60 s: {}", moto.log_text()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Status of a plain GET, if the server answers.
fn http_get(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A boto3 script run in moto's environment with the endpoint and test credentials set.
const BOTO_PRELUDE: &str = r#"
import json, os, sys, concurrent.futures as cf
import boto3
E = os.environ["MOTO_ENDPOINT"]
KW = dict(endpoint_url=E, aws_access_key_id=os.environ["MOTO_KEY"], aws_secret_access_key=os.environ["MOTO_SECRET"], region_name="us-east-1")
s3 = boto3.client("s3", **KW)
"#;

const UPLOAD: &str = r#"
bucket, root, prefix, glacier = sys.argv[1], sys.argv[2], sys.argv[3], set(filter(None, sys.argv[4].split("/")))
try:
    s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
files = []
for d, _, names in os.walk(root):
    for n in names:
        p = os.path.join(d, n)
        files.append((p, prefix + os.path.relpath(p, root).replace(os.sep, "/")))
sidecars = len(sys.argv) > 5 and sys.argv[5] == "as-metadata"
if sidecars:
    files = [f for f in files if not f[0].endswith(".metadata.json")]
def put(item):
    path, key = item
    extra = {"StorageClass": "GLACIER"} if os.path.basename(path) in glacier else {}
    if sidecars and os.path.exists(path + ".metadata.json"):
        with open(path + ".metadata.json") as m:
            extra["Metadata"] = json.load(m)["Metadata"]
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read(), **extra)
with cf.ThreadPoolExecutor(16) as ex:
    list(ex.map(put, files))
print(len(files))
"#;

impl Moto {
    /// Whether this moto is at least `want` (e.g. `[5, 2, 5]`); when not, says why the calling test is
    /// skipped, or fails it under `CI=true`, where `.ci/run` installs the pinned version.
    pub fn at_least(&self, want: &[u32], why: &str) -> bool {
        if self.version.as_slice() >= want {
            return true;
        }
        let msg = format!("moto {:?} is older than {want:?}, which {why}", self.version);
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "{msg}");
        eprintln!("skipped: {msg}");
        false
    }

    fn log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    }

    /// Runs a boto3 script against this server; panics with its output when it fails.
    pub fn boto(&self, script: &str, args: &[&str]) -> String {
        let r = run(Command::new(&self.python)
            .arg("-c")
            .arg(format!("{BOTO_PRELUDE}\n{script}"))
            .args(args)
            .env("MOTO_ENDPOINT", &self.endpoint)
            .env("MOTO_KEY", ACCESS_KEY)
            .env("MOTO_SECRET", SECRET_KEY));
        assert_eq!(
            r.code,
            0,
            "boto3 script failed:\n{}\n{}",
            r.stderr,
            self.log_text()
        );
        r.stdout
    }

    /// Uploads every file under `root` to `s3://bucket/prefix<relative path>` (creating the bucket);
    /// files named in `glacier` are stored in the GLACIER class. Returns the number of objects.
    pub fn upload(&self, bucket: &str, root: &Path, prefix: &str, glacier: &[&str]) -> usize {
        let out = self.boto(
            UPLOAD,
            &[bucket, root.to_str().unwrap(), prefix, &glacier.join("/")],
        );
        out.trim().parse().expect("upload prints a count")
    }

    /// Uploads a folder as `upload` does, except that each `<key>.metadata.json` sidecar (`head-object`
    /// output) becomes its object's S3 metadata instead of an object of its own.
    pub fn upload_with_metadata(&self, bucket: &str, root: &Path) -> usize {
        let out = self.boto(UPLOAD, &[bucket, root.to_str().unwrap(), "", "", "as-metadata"]);
        out.trim().parse().expect("upload prints a count")
    }

    /// Overwrites one object with new bytes.
    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("body");
        std::fs::write(&file, body).unwrap();
        self.boto(
            "s3.put_object(Bucket=sys.argv[1], Key=sys.argv[2], Body=open(sys.argv[3], 'rb').read())",
            &[bucket, key, file.to_str().unwrap()],
        );
    }
}

/// This machine's AWS settings that could lead ctscan to real credentials or endpoints: every process the
/// tests start (ctscan clients and cluster nodes) runs without them.
pub const AWS_ENV_CLEARED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
];

/// Gives `cmd` the access key pair `key`/`secret` and nothing from this machine's AWS configuration.
pub fn aws_test_env<'a>(cmd: &'a mut Command, key: &str, secret: &str) -> &'a mut Command {
    for var in AWS_ENV_CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/ctscan-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/ctscan-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

/// Runs `ctscan` against an S3-compatible endpoint with the test credentials and no other AWS settings.
pub fn ctscan_s3<S: AsRef<std::ffi::OsStr>>(endpoint: &str, args: &[S]) -> Run {
    ctscan_s3_as(endpoint, ACCESS_KEY, SECRET_KEY, args)
}

/// Like [`ctscan_s3`] with the given access key pair.
pub fn ctscan_s3_as<S: AsRef<std::ffi::OsStr>>(endpoint: &str, key: &str, secret: &str, args: &[S]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
    aws_test_env(&mut cmd, key, secret)
        .arg("--endpoint-url")
        .arg(endpoint)
        .args(args);
    run(&mut cmd)
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Request body (STS requests are form posts).
    pub body: String,
    /// Whether the request was signed (carried an `Authorization` header).
    pub signed: bool,
}

/// What the proxy answers instead of forwarding: status and S3 error code and message.
pub type Fault = (u16, &'static str, String);

/// Decides, for the n-th request (from 0), whether to answer it with an error.
pub type Rule = Box<dyn Fn(usize, &Seen) -> Option<Fault> + Send + Sync>;

/// A recording, fault-injecting HTTP proxy in front of moto.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`, for `--endpoint-url`.
    pub endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    faults: Arc<Mutex<usize>>,
}

impl Proxy {
    /// Starts a proxy forwarding to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, rule: Rule) -> Proxy {
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Mutex::new(0));
        let rule = Arc::new(rule);
        let (seen2, faults2) = (seen.clone(), faults.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (upstream, seen, faults, rule) =
                    (upstream.clone(), seen2.clone(), faults2.clone(), rule.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, &seen, &faults, rule.as_ref());
                });
            }
        });
        Proxy {
            endpoint,
            seen,
            faults,
        }
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests were answered with an injected error.
    pub fn faults(&self) -> usize {
        *self.faults.lock().unwrap()
    }
}

/// Reads one HTTP/1.1 request head and body.
fn read_request(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<(Vec<String>, Vec<u8>)>> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            if head.is_empty() {
                continue;
            }
            break;
        }
        head.push(line);
    }
    let len = head
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Some((head, body)))
}

fn serve(
    conn: TcpStream,
    upstream: &str,
    seen: &Mutex<Vec<Seen>>,
    faults: &Mutex<usize>,
    rule: &(dyn Fn(usize, &Seen) -> Option<Fault> + Send + Sync),
) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    let Some((head, body)) = read_request(&mut reader)? else {
        return Ok(());
    };
    let mut parts = head[0].split_whitespace();
    let request = Seen {
        method: parts.next().unwrap_or_default().to_string(),
        target: parts.next().unwrap_or_default().to_string(),
        body: String::from_utf8_lossy(&body).into_owned(),
        signed: head
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("authorization:")),
    };
    let n = {
        let mut s = seen.lock().unwrap();
        s.push(request.clone());
        s.len() - 1
    };
    // One request per connection: the answer says `Connection: close`, so clients never reuse it.
    if let Some((status, code, message)) = rule(n, &request) {
        *faults.lock().unwrap() += 1;
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>proxy-{n}</RequestId></Error>"
        );
        let body = if request.method == "HEAD" {
            ""
        } else {
            xml.as_str()
        };
        write!(
            out,
            "HTTP/1.1 {status} Injected\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return out.flush();
    }
    let mut up = TcpStream::connect(upstream)?;
    let mut req = format!("{}\r\n", head[0]);
    for h in &head[1..] {
        if !h.to_ascii_lowercase().starts_with("connection:") {
            req.push_str(h);
            req.push_str("\r\n");
        }
    }
    req.push_str("Connection: close\r\n\r\n");
    up.write_all(req.as_bytes())?;
    up.write_all(&body)?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head_text = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut new_head = String::new();
    for line in head_text.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            new_head.push_str(line);
            new_head.push_str("\r\n");
        }
    }
    new_head.push_str("Connection: close\r\n\r\n");
    out.write_all(new_head.as_bytes())?;
    out.write_all(&response[(split + 4).min(response.len())..])?;
    out.flush()
}
