//! Files through the blocking pool: what is written reads back the same, lines come back in
//! order without their line endings, and every error names the path it is about.

mod common;
use common::virtual_runtime;

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use glassloop::fs;

/// A fresh directory under the system's temp dir, removed when dropped (even if the test fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "glassloop-fs-{test}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn bytes_written_through_the_pool_read_back_the_same() {
    let dir = TempDir::new("bytes");
    let path = dir.file("all-bytes.bin");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let read_back = virtual_runtime().block_on({
        let (path, bytes) = (path.clone(), bytes.clone());
        async move {
            fs::write(&path, &bytes).await?;
            fs::read(&path).await
        }
    });
    assert_eq!(read_back.unwrap(), bytes);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "what std sees on disk"
    );
}

#[test]
fn text_written_through_the_pool_reads_back_as_the_same_string() {
    let dir = TempDir::new("text");
    let path = dir.file("greeting.txt");
    let text = "grüße aus der Schleife\nsecond line\n";
    let read_back = virtual_runtime().block_on(async {
        fs::write(&path, text).await?;
        fs::read_to_string(&path).await
    });
    assert_eq!(read_back.unwrap(), text);
}

#[test]
fn write_replaces_what_the_file_held_before() {
    let dir = TempDir::new("replace");
    let path = dir.file("f.txt");
    std::fs::write(&path, "a much longer old content").unwrap();
    let read_back = virtual_runtime().block_on(async {
        fs::write(&path, "new").await?;
        fs::read_to_string(&path).await
    });
    assert_eq!(read_back.unwrap(), "new");
}

/// Read every line with `next_line`, counting the calls.
async fn all_lines(path: &std::path::Path) -> io::Result<Vec<String>> {
    let mut lines = fs::lines(path).await?;
    let mut all = Vec::new();
    while let Some(line) = lines.next_line().await? {
        all.push(line);
    }
    assert_eq!(lines.next_line().await?, None, "the end stays the end");
    Ok(all)
}

#[test]
fn lines_come_back_in_order_across_many_trips_to_the_pool() {
    let dir = TempDir::new("many-lines");
    let path = dir.file("numbers.txt");
    let count = fs::LINES_PER_TRIP * 3 + 7; // several full trips and a partial one
    let expected: Vec<String> = (0..count).map(|n| format!("line {n}")).collect();
    std::fs::write(&path, expected.join("\n") + "\n").unwrap();
    let lines = virtual_runtime().block_on(all_lines(&path)).unwrap();
    assert_eq!(lines, expected);
}

#[test]
fn lines_lose_their_line_endings_and_keep_empty_lines() {
    let dir = TempDir::new("endings");
    let path = dir.file("mixed.txt");
    std::fs::write(&path, "unix\nwindows\r\n\nlast without newline").unwrap();
    let lines = virtual_runtime().block_on(all_lines(&path)).unwrap();
    assert_eq!(lines, ["unix", "windows", "", "last without newline"]);
}

#[test]
fn an_empty_file_has_no_lines() {
    let dir = TempDir::new("empty");
    let path = dir.file("empty.txt");
    std::fs::write(&path, "").unwrap();
    let lines = virtual_runtime().block_on(all_lines(&path)).unwrap();
    assert!(lines.is_empty());
}

#[test]
fn reading_a_missing_file_is_an_error_that_names_the_path() {
    let dir = TempDir::new("missing");
    let path = dir.file("not-there.txt");
    let rt = virtual_runtime();
    let errors = rt.block_on(async {
        [
            fs::read(&path).await.unwrap_err(),
            fs::read_to_string(&path).await.unwrap_err(),
            fs::lines(&path).await.unwrap_err(),
        ]
    });
    for err in errors {
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let message = err.to_string();
        assert!(
            message.contains(&path.display().to_string()),
            "the message does not name the path: {message}"
        );
    }
}

#[test]
fn writing_into_a_missing_directory_is_an_error_that_names_the_path() {
    let dir = TempDir::new("no-dir");
    let path = dir.file("no-such-dir").join("f.txt");
    let err = virtual_runtime()
        .block_on(fs::write(&path, "x"))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(
        err.to_string()
            .starts_with(&format!("could not write {}: ", path.display())),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_invalid_data_naming_the_path_and_the_line() {
    let dir = TempDir::new("latin1");
    let path = dir.file("latin1.txt");
    std::fs::write(&path, b"fine\nalso fine\nna\xefve\n").unwrap();
    let rt = virtual_runtime();
    let (whole, by_line) = rt.block_on(async {
        let whole = fs::read_to_string(&path).await.unwrap_err();
        let mut lines = fs::lines(&path).await.unwrap();
        let mut seen = Vec::new();
        let err = loop {
            match lines.next_line().await {
                Ok(Some(line)) => seen.push(line),
                Ok(None) => panic!("reached the end without an error"),
                Err(err) => break err,
            }
        };
        (whole, (seen, err))
    });
    assert_eq!(whole.kind(), io::ErrorKind::InvalidData);
    assert!(
        whole.to_string().contains(&path.display().to_string()),
        "{whole}"
    );
    let (seen, err) = by_line;
    assert_eq!(
        seen,
        ["fine", "also fine"],
        "the good lines before the bad one arrive first"
    );
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(
        err.to_string()
            .starts_with(&format!("could not read line 3 of {}: ", path.display())),
        "{err}"
    );
}

#[test]
#[should_panic(expected = "glassloop::fs::read was called outside a glassloop runtime")]
fn fs_outside_a_runtime_names_the_function_in_its_message() {
    let mut read = std::pin::pin!(fs::read("/etc/hostname"));
    let waker = futures_task::noop_waker();
    let _ = read
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&waker));
}
