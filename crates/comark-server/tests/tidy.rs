//! Layering rules of the server crate, read off its source: it never mints an organization
//! scope for itself, never writes SQL, and never reaches past the use cases to the store.

use std::path::{Path, PathBuf};

/// Words the server must never use: the admin and job scopes bypass membership, and SQL
/// belongs to the store.
const FORBIDDEN: [&str; 3] = ["admin_scope", "job_scope", "sqlx"];

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code of a line, without a trailing `//` comment (doc comments included).
fn code(line: &str) -> &str {
    line.split_once("//").map_or(line, |(code, _)| code)
}

#[test]
fn the_server_mints_no_scope_writes_no_sql_and_never_reaches_the_store() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 20, "only {} source files found", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .strip_prefix(&root)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).expect("a source file");
        for (n, line) in text.lines().enumerate() {
            let code = code(line);
            for word in FORBIDDEN {
                if code.contains(word) {
                    failures.push(format!("{name}:{}: uses `{word}`", n + 1));
                }
            }
            // `App.store` is the CLI's and the tests'; a handler calls an app function.
            if code.contains(".store.") || code.trim_end().ends_with(".store") {
                failures.push(format!(
                    "{name}:{}: reaches the store; call an app function",
                    n + 1
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_line_reader_sees_a_reach_and_skips_comments() {
    assert_eq!(
        code("let x = state.app.store.ping(); // via .store."),
        "let x = state.app.store.ping(); "
    );
    assert_eq!(code("/// admin_scope is the CLI's"), "");
}
