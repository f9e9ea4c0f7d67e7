//! # Files: why they go to the blocking pool
//!
//! Sockets are easy for an event loop: the kernel can tell it "this socket has data now", so
//! the loop asks epoll (through mio) and sleeps until then. Regular files are different. epoll
//! refuses to watch them at all (`epoll_ctl` fails with `EPERM`), and `select`/`poll` report a
//! file as always ready, because for the kernel a disk read is not "waiting for someone else",
//! it is work it does right now, during your `read` call, taking as long as the disk takes.
//! `O_NONBLOCK` is ignored for regular files. So there is no readiness to wait for, and a
//! `std::fs::read` on the loop's thread holds every task until the disk answers.
//!
//! What runtimes do about it:
//!
//! - **A thread pool.** Python's aiofiles runs every call in `loop.run_in_executor`; tokio::fs
//!   runs every call with `spawn_blocking`; libuv (Node.js) runs file operations on its thread
//!   pool too. glassloop does the same: every function here is a job on the blocking pool
//!   (`blocking.rs`), and the loop keeps running while a pool thread waits for the disk.
//! - **io_uring** (Linux 5.1+), the modern alternative: the program puts read and write
//!   *requests* into a ring shared with the kernel and later collects completions from another
//!   ring. Files, sockets and timers are all "submit, then be told it is done", no thread per
//!   operation. tokio-uring, glommio and monoio are built on it. It needs `unsafe` buffer
//!   ownership rules that do not fit a first course.
//!
//! ```text
//!   task                        blocking pool thread
//!   fs::read(path).await ──────► std::fs::read(path) ─ waits for the disk ─┐
//!     (the loop runs others)                                                │
//!   ◄──────── Ok(bytes) or io::Error "could not read /tmp/x: ..." ◄─────────┘
//! ```
//!
//! Every error is the `io::Error` that `std::fs` gave, with the same kind, and a message that
//! names the path, because "No such file or directory" alone does not say which file.
//!
//! ## Shortcuts, honestly
//!
//! Each call is a whole job: `read` reads the whole file in one trip. The line reader fetches
//! up to [`LINES_PER_TRIP`] lines per trip to the pool, because one hop per line would spend
//! more time handing over than reading. tokio's `File` keeps one read or write in flight in the
//! background and is more general (seek, partial reads); there is no open `File` type here.
//!
//! Read next: `handle.rs`, the way back in: other threads posting work to the loop (or the
//! `files` demo, to see this file at work).

use std::collections::VecDeque;
use std::fs::File;
use std::future::Future;
use std::io::{self, BufRead, BufReader};
use std::panic::Location;
use std::path::{Path, PathBuf};

use crate::blocking::spawn_blocking_as;
use crate::spawn::JoinHandle;

/// How many lines [`Lines`] reads in one trip to the blocking pool.
pub const LINES_PER_TRIP: usize = 256;

/// Run `op` on `path` on the blocking pool, and name the path in its error.
/// `what` is the verb for the message ("read", "write"); `caller` names the function for the
/// "outside a runtime" panic. `#[track_caller]`, like every public function here, and not an
/// `async fn` (which cannot carry it), so the job is named by the line of your code that
/// called `fs::read` (the dump, the outside-work ledger), as net/ does for sockets.
#[track_caller]
fn on_pool<T, F>(
    caller: &'static str,
    what: &'static str,
    path: PathBuf,
    op: F,
) -> impl Future<Output = io::Result<T>>
where
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let at = Location::caller();
    async move {
        let job = spawn_blocking_as(caller, at, move || {
            op(&path).map_err(|err| name_the_path(err, what, &path))
        });
        finish(job, "the file operation").await?
    }
}

/// Await a job on the pool: its value; its panic passed on, because a `std::fs` call that
/// panicked is a bug worth seeing; or, if the job was cancelled, an error that says `doing`
/// was cancelled.
async fn finish<T>(job: JoinHandle<T>, doing: &str) -> io::Result<T> {
    match job.await {
        Ok(value) => Ok(value),
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => {
            Err(io::Error::other(format!("{doing} was cancelled before it finished: {err}")))
        }
    }
}

/// The same error, kind unchanged, with the path and the operation in its message.
fn name_the_path(err: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("could not {what} {}: {err}", path.display()))
}

/// Read a whole file into bytes, on the blocking pool.
///
/// asyncio (aiofiles): `async with aiofiles.open(p, "rb") as f: await f.read()`; tokio:
/// `tokio::fs::read`.
///
/// # Errors
/// The `io::Error` of `std::fs::read`, with the path in its message.
///
/// # Panics
/// Outside a running glassloop runtime.
#[track_caller]
pub fn read(path: impl AsRef<Path>) -> impl Future<Output = io::Result<Vec<u8>>> {
    let path = path.as_ref().to_path_buf();
    on_pool("glassloop::fs::read", "read", path, |path| std::fs::read(path))
}

/// Read a whole UTF-8 file into a `String`, on the blocking pool.
///
/// ```
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// let path = std::env::temp_dir().join(format!("glassloop-doc-{}.txt", std::process::id()));
/// let text = rt.block_on(async {
///     glassloop::fs::write(&path, "written on the pool\n").await?;
///     glassloop::fs::read_to_string(&path).await
/// });
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(text.unwrap(), "written on the pool\n");
/// ```
///
/// asyncio (aiofiles): `await f.read()` on a file opened in text mode; tokio:
/// `tokio::fs::read_to_string`.
///
/// # Errors
/// The `io::Error` of `std::fs::read_to_string` (`InvalidData` if the file is not UTF-8),
/// with the path in its message.
///
/// # Panics
/// Outside a running glassloop runtime.
#[track_caller]
pub fn read_to_string(path: impl AsRef<Path>) -> impl Future<Output = io::Result<String>> {
    let path = path.as_ref().to_path_buf();
    on_pool("glassloop::fs::read_to_string", "read", path, |path| std::fs::read_to_string(path))
}

/// Create or truncate a file and write `contents` to it, on the blocking pool. The bytes are
/// copied once, because the pool thread needs its own copy.
///
/// asyncio (aiofiles): `async with aiofiles.open(p, "wb") as f: await f.write(b)`; tokio:
/// `tokio::fs::write`.
///
/// # Errors
/// The `io::Error` of `std::fs::write`, with the path in its message.
///
/// # Panics
/// Outside a running glassloop runtime.
#[track_caller]
pub fn write(
    path: impl AsRef<Path>,
    contents: impl AsRef<[u8]>,
) -> impl Future<Output = io::Result<()>> {
    let path = path.as_ref().to_path_buf();
    let contents = contents.as_ref().to_vec();
    on_pool("glassloop::fs::write", "write", path, move |path| std::fs::write(path, contents))
}

/// Open a file for reading line by line; the open itself happens on the blocking pool.
///
/// ```
/// let rt = glassloop::Runtime::builder().virtual_clock().build().unwrap();
/// let path = std::env::temp_dir().join(format!("glassloop-doc-lines-{}.txt", std::process::id()));
/// std::fs::write(&path, "one\ntwo\r\nthree").unwrap();
/// let lines = rt.block_on(async {
///     let mut lines = glassloop::fs::lines(&path).await?;
///     let mut all = Vec::new();
///     while let Some(line) = lines.next_line().await? {
///         all.push(line);
///     }
///     std::io::Result::Ok(all)
/// });
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(lines.unwrap(), ["one", "two", "three"]);
/// ```
///
/// asyncio (aiofiles): `async for line in f`; tokio: `BufReader::new(File::open(p).await?)
/// .lines()` with `next_line().await`.
///
/// # Errors
/// The `io::Error` of `File::open`, with the path in its message.
///
/// # Panics
/// Outside a running glassloop runtime.
#[track_caller]
pub fn lines(path: impl AsRef<Path>) -> impl Future<Output = io::Result<Lines>> {
    let path = path.as_ref().to_path_buf();
    let open = on_pool("glassloop::fs::lines", "open", path.clone(), |path| File::open(path));
    async move {
        let file = open.await?;
        Ok(Lines {
            path,
            reader: Some(BufReader::new(file)),
            ready: VecDeque::new(),
            pending_error: None,
            lines_read: 0,
            at_end: false,
        })
    }
}

/// A file read line by line through the blocking pool, from [`lines`].
///
/// Lines come without their `\n` or `\r\n`. The reader travels to a pool thread and back for
/// each batch of up to [`LINES_PER_TRIP`] lines; the batch waits here.
#[derive(Debug)]
pub struct Lines {
    path: PathBuf,
    /// `None` while a trip is in flight, or for good if that trip was cancelled.
    reader: Option<BufReader<File>>,
    /// Lines fetched and not yet handed out.
    ready: VecDeque<String>,
    /// An error met after the lines in `ready`, handed out once they are.
    pending_error: Option<io::Error>,
    /// Lines read so far, to say where a bad line is.
    lines_read: u64,
    /// The last trip reached the end of the file.
    at_end: bool,
}

/// What one trip brings back.
struct Batch {
    reader: BufReader<File>,
    lines: Vec<String>,
    error: Option<io::Error>,
    at_end: bool,
}

impl Lines {
    /// The next line, or `None` at the end of the file.
    ///
    /// asyncio (aiofiles): `await f.readline()`; tokio: `Lines::next_line`.
    ///
    /// # Errors
    /// An `io::Error` naming the path and the line number (`InvalidData` for a line that is
    /// not UTF-8); or, if an earlier `next_line` future was dropped while its read was in
    /// flight, an error saying that the reader's position was lost with it.
    #[track_caller]
    pub fn next_line(&mut self) -> impl Future<Output = io::Result<Option<String>>> + '_ {
        let at = Location::caller();
        // Hand out what the trips brought, in order: the lines, then the error met after
        // them, then the end. A trip always brings one of the three, so this loops at most
        // once.
        async move {
            loop {
                if let Some(line) = self.ready.pop_front() {
                    return Ok(Some(line));
                }
                if let Some(err) = self.pending_error.take() {
                    return Err(err);
                }
                if self.at_end {
                    return Ok(None);
                }
                self.trip(at).await?;
            }
        }
    }

    /// One trip to the pool: up to [`LINES_PER_TRIP`] lines into `ready`, and what stopped
    /// the reading (an error, or the end of the file).
    /// `at` is the `next_line` call that needs it. A good breakpoint:
    /// `break glassloop::fs::Lines::trip`.
    async fn trip(&mut self, at: &'static Location<'static>) -> io::Result<()> {
        let Some(reader) = self.reader.take() else {
            return Err(io::Error::other(format!(
                "cannot read more lines of {}: an earlier next_line was cancelled while its \
                 read was on the blocking pool, and the file's position went with it; open the \
                 file again with glassloop::fs::lines",
                self.path.display()
            )));
        };
        let path = self.path.clone();
        let first_line = self.lines_read + 1;
        let job = spawn_blocking_as("glassloop::fs::Lines::next_line", at, {
            move || read_batch(reader, &path, first_line)
        });
        let batch = finish(job, "reading lines").await?;
        self.reader = Some(batch.reader);
        self.lines_read += batch.lines.len() as u64;
        self.ready.extend(batch.lines);
        self.pending_error = batch.error;
        self.at_end = batch.at_end;
        Ok(())
    }
}

/// On a pool thread: read up to `LINES_PER_TRIP` lines, and bring the reader back.
fn read_batch(mut reader: BufReader<File>, path: &Path, first_line: u64) -> Batch {
    let mut lines = Vec::new();
    let mut error = None;
    let mut at_end = false;
    while lines.len() < LINES_PER_TRIP {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => {
                at_end = true;
                break;
            }
            Ok(_) => {
                if line.ends_with('\n') {
                    line.pop();
                    if line.ends_with('\r') {
                        line.pop();
                    }
                }
                lines.push(line);
            }
            Err(err) => {
                let number = first_line + lines.len() as u64;
                error = Some(io::Error::new(
                    err.kind(),
                    format!("could not read line {number} of {}: {err}", path.display()),
                ));
                break;
            }
        }
    }
    Batch { reader, lines, error, at_end }
}

#[cfg(test)]
mod tests {
    use std::future::{poll_fn, Future};
    use std::task::Poll;

    /// The task that awaits a file job is spawned at the line that called `fs::read`, not at
    /// a line of this file: the dump and the outside-work ledger name the learner's code.
    #[test]
    fn a_file_job_is_named_by_the_line_of_code_that_called_fs() {
        let rt = crate::Runtime::builder().virtual_clock().build().unwrap();
        let (dump, called_at) = rt.block_on(async {
            let (read, called_at) = (super::read("/nonexistent/glassloop"), line!());
            let mut read = std::pin::pin!(read);
            // One poll submits the job and spawns its task, which has not run yet.
            poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx).is_pending())).await;
            (crate::dump(), called_at)
        });
        let here = format!("spawned at {}:{called_at}:", file!());
        assert!(dump.contains(&here), "{here:?} not in the dump:\n{dump}");
    }
}
