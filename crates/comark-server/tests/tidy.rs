//! Layering rules of the server crate, read off its source: it never mints an organization
//! scope for itself, never writes SQL, and reaches past the use cases to the store no more
//! often than it does today (each of those reads is to become an app function).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Words the server must never use: the admin and job scopes bypass membership, and SQL
/// belongs to the store.
const FORBIDDEN: [&str; 3] = ["admin_scope", "job_scope", "sqlx"];

/// Where the server still reads the store directly, and how often: a ratchet that may only
/// go down.
const STORE_REACHES: [(&str, usize); 7] = [
    ("api/handlers.rs", 3),
    ("auth.rs", 2),
    ("ops.rs", 2),
    ("web/account.rs", 2),
    ("web/intake.rs", 3),
    ("web/org.rs", 2),
    ("web/session.rs", 1),
];

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
fn the_server_mints_no_scope_writes_no_sql_and_reaches_the_store_no_more_than_it_did() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 20, "only {} source files found", files.len());
    let mut failures = Vec::new();
    let mut reaches: BTreeMap<String, usize> = BTreeMap::new();
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
            let reached =
                code.matches(".store.").count() + usize::from(code.trim_end().ends_with(".store"));
            if reached > 0 {
                *reaches.entry(name.clone()).or_default() += reached;
            }
        }
    }
    let allowed: BTreeMap<String, usize> = STORE_REACHES
        .iter()
        .map(|(file, n)| ((*file).to_owned(), *n))
        .collect();
    for (file, n) in &reaches {
        let cap = allowed.get(file).copied().unwrap_or(0);
        if *n > cap {
            failures.push(format!(
                "{file}: reaches the store {n} times (at most {cap}); call an app function instead"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The ratchet follows the code down: a file that reaches less must say so here.
    for (file, cap) in &allowed {
        let n = reaches.get(file).copied().unwrap_or(0);
        assert_eq!(
            n, *cap,
            "{file} now reaches the store {n} times: lower STORE_REACHES"
        );
    }
}

#[test]
fn the_line_reader_sees_a_reach_and_skips_comments() {
    assert_eq!(
        code("let x = state.app.store.ping(); // via .store."),
        "let x = state.app.store.ping(); "
    );
    assert_eq!(code("/// admin_scope is the CLI's"), "");
}
