//! Account-mapping benchmark: normalization throughput and overlap join time on generated,
//! realistically messy CRM exports.
//!
//! Run: `cargo bench -p comark-matching` (sizes 100k×100k and 1M×1M).
//!
//! Environment:
//! - `COMARK_BENCH_SIZES`: comma-separated side sizes (default `100000,1000000`).
//! - `COMARK_BENCH_OVERLAP`: fraction of each side's companies the other side also has
//!   (default `0.3`).
//! - `COMARK_BENCH_DUMP_DIR`: when set, the join keys of the largest run are written there
//!   as `ours.csv` and `theirs.csv` (`idx,kind,key`), for `scripts/bench-duckdb.py`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use comark_matching::{
    dedupe, fold_company_name, key_accounts, overlap, registrable_domain, AccountFields,
    AccountKey, Confidence,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const SEED: u64 = 0x00C0_4A4B;
/// How many times the normalization of both sides is timed.
const NORMALIZE_RUNS: usize = 3;
/// How many times the join is timed.
const JOIN_RUNS: usize = 7;

/// First, fastest and median of repeated timings.
struct Stats {
    first: Duration,
    min: Duration,
    median: Duration,
}

impl Stats {
    fn of(mut runs: Vec<Duration>) -> Stats {
        let first = runs[0];
        runs.sort();
        Stats {
            first,
            min: runs[0],
            median: runs[runs.len() / 2],
        }
    }
}

const SYLLABLES: [&str; 64] = [
    "ac", "al", "an", "ar", "ba", "be", "bo", "ca", "ce", "co", "da", "de", "di", "do", "el", "en",
    "er", "fa", "fi", "ga", "ge", "go", "ha", "he", "in", "is", "ka", "ke", "ko", "la", "le", "li",
    "lo", "ma", "me", "mi", "mo", "na", "ne", "no", "or", "pa", "pe", "po", "ra", "re", "ri", "ro",
    "sa", "se", "si", "so", "ta", "te", "ti", "to", "tra", "ve", "vi", "vo", "xa", "za", "ze",
    "zo",
];
/// Syllables with diacritics, for the few companies with non-ASCII names and IDN domains.
const ACCENTED: [&str; 8] = ["mü", "bé", "çe", "nø", "lä", "sö", "ré", "gå"];
const INDUSTRY: [&str; 12] = [
    "Systems",
    "Labs",
    "Foods",
    "Logistics",
    "Health",
    "Analytics",
    "Partners",
    "Group",
    "Software",
    "Energy",
    "Media",
    "Robotics",
];
/// Top-level suffixes with rough weights, and the legal forms common there.
const TLDS: [(&str, u32, &[&str]); 10] = [
    (
        "com",
        45,
        &[
            "Inc.",
            "Inc",
            ", Inc.",
            "LLC",
            "L.L.C.",
            "Corp.",
            "Corporation",
            "Co.",
        ],
    ),
    ("io", 8, &["Inc.", "Ltd", "GmbH"]),
    ("co.uk", 8, &["Ltd", "Ltd.", "Limited", "PLC"]),
    ("de", 8, &["GmbH", "AG", "GmbH & Co. KG"]),
    ("fr", 6, &["S.A.", "SA", "SAS", "SARL"]),
    ("nl", 5, &["B.V.", "BV", "N.V."]),
    ("com.au", 5, &["Pty Ltd", "Pty. Ltd."]),
    ("co.jp", 5, &["K.K.", "KK", "Co., Ltd."]),
    ("it", 5, &["S.p.A.", "S.r.l.", "SpA"]),
    ("se", 5, &["AB", "Oy", "AS", "ApS"]),
];
const SUBDOMAINS: [&str; 5] = ["shop.", "en.", "blog.", "app.", "eu."];
const PATHS: [&str; 8] = [
    "",
    "/",
    "/about",
    "/en/home.html",
    "/?utm_source=crm&utm_medium=export",
    "#contact",
    "/contact-us/",
    "/index.php?lang=en",
];
const MISSING: [&str; 5] = ["", " ", "N/A", "-", "none"];

/// One company of the generated universe.
struct Company {
    name: String,
    domain: String,
    legal: &'static [&'static str],
}

/// Company `id`: a unique name (syllables chosen by a bijection of `id`) and its domain.
fn company(id: u64) -> Company {
    // An odd multiplier mod 2^24 is a bijection: ids stay unique, names look unordered.
    let x = id.wrapping_mul(0x9E_3779) & 0xFF_FFFF;
    let syl = |k: u32| SYLLABLES[((x >> (6 * k)) & 63) as usize];
    let mut first = format!("{}{}", syl(0), syl(1));
    if id % 97 == 0 {
        first.insert_str(0, ACCENTED[(id / 97 % 8) as usize]);
    }
    let second = format!("{}{}", syl(2), syl(3));
    let industry = if (x >> 24) % 2 == 0 || id % 3 == 0 {
        Some(INDUSTRY[(id % 12) as usize])
    } else {
        None
    };
    let mut name = format!("{} {}", capitalize(&first), capitalize(&second));
    let mut label = format!("{first}{second}");
    if let Some(ind) = industry {
        name.push(' ');
        name.push_str(ind);
        if id % 2 == 0 {
            label.push('-');
            label.push_str(&ind.to_lowercase());
        }
    }
    let total: u32 = TLDS.iter().map(|t| t.1).sum();
    let mut pick = u32::try_from((id.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) % u64::from(total))
        .expect("below total");
    let mut tld = TLDS[0];
    for t in TLDS {
        if pick < t.1 {
            tld = t;
            break;
        }
        pick -= t.1;
    }
    Company {
        name,
        domain: format!("{label}.{}", tld.0),
        legal: tld.2,
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// One CRM record as exported: the company name and website, with the usual noise.
struct Record {
    name: String,
    website: Option<String>,
}

fn messy_record(c: &Company, rng: &mut StdRng) -> Record {
    let mut name = match rng.gen_range(0..20) {
        0 | 1 => c.name.to_uppercase(),
        2 | 3 => c.name.to_lowercase(),
        4 => c.name.replace(' ', "  "),
        _ => c.name.clone(),
    };
    if rng.gen_bool(0.75) {
        let legal = c.legal.choose(rng).copied().unwrap_or("Inc.");
        if !legal.starts_with(',') && rng.gen_bool(0.2) {
            name.push(',');
        }
        if !legal.starts_with(',') {
            name.push(' ');
        }
        name.push_str(legal);
    }
    if rng.gen_bool(0.05) {
        name = format!(" {name} ");
    }
    let website = if rng.gen_bool(0.2) {
        rng.gen_bool(0.5)
            .then(|| MISSING.choose(rng).copied().unwrap_or("").to_owned())
    } else {
        Some(messy_website(&c.domain, rng))
    };
    Record { name, website }
}

fn messy_website(domain: &str, rng: &mut StdRng) -> String {
    let mut host = String::with_capacity(domain.len() + 8);
    match rng.gen_range(0..10) {
        0..=4 => host.push_str("www."),
        5 => host.push_str(SUBDOMAINS.choose(rng).copied().unwrap_or("")),
        _ => {}
    }
    if !domain.is_ascii() && rng.gen_bool(0.5) {
        host.push_str(&idna::domain_to_ascii(domain).expect("generated IDN is valid"));
    } else {
        host.push_str(domain);
    }
    match rng.gen_range(0..20) {
        0 => host = host.to_uppercase(),
        1 => host = capitalize(&host),
        _ => {}
    }
    if rng.gen_bool(0.02) {
        host.push('.');
    }
    let scheme = match rng.gen_range(0..10) {
        0..=2 => "",
        3..=4 => "http://",
        5..=7 => "https://",
        8 => "HTTPS://",
        _ => "//",
    };
    let mut s = String::with_capacity(host.len() + 40);
    if rng.gen_bool(0.03) {
        s.push(' ');
    }
    s.push_str(scheme);
    if !scheme.is_empty() && rng.gen_bool(0.01) {
        s.push_str("user@");
    }
    s.push_str(&host);
    if rng.gen_bool(0.02) {
        let _ = write!(s, ":{}", rng.gen_range(80..9000));
    }
    s.push_str(PATHS.choose(rng).copied().unwrap_or(""));
    if rng.gen_bool(0.03) {
        s.push_str(" \n");
    }
    s
}

/// Two exports of `n` records each; `shared` of each side's companies are on both sides;
/// about 3% of each side's records are duplicates of another record of that side.
fn generate(n: usize, shared_fraction: f64) -> (Vec<Record>, Vec<Record>, usize) {
    let mut rng = StdRng::seed_from_u64(SEED ^ n as u64);
    let distinct = n - n * 3 / 100;
    let shared = (distinct as f64 * shared_fraction) as u64;
    let distinct = distinct as u64;
    let ours_ids: Vec<u64> = (0..distinct).collect();
    let theirs_ids: Vec<u64> = (0..shared).chain(distinct..2 * distinct - shared).collect();
    let side = |ids: &[u64], rng: &mut StdRng| -> Vec<Record> {
        let mut picks: Vec<u64> = ids.to_vec();
        while picks.len() < n {
            picks.push(*ids.choose(rng).expect("ids not empty"));
        }
        picks.shuffle(rng);
        picks
            .iter()
            .map(|&id| messy_record(&company(id), rng))
            .collect()
    };
    let ours = side(&ours_ids, &mut rng);
    let theirs = side(&theirs_ids, &mut rng);
    (ours, theirs, shared as usize)
}

fn fields(records: &[Record]) -> Vec<AccountFields<'_>> {
    records
        .iter()
        .map(|r| AccountFields {
            name: &r.name,
            website: r.website.as_deref(),
        })
        .collect()
}

/// Peak resident memory of this process so far (VmHWM), when the kernel tells it.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn rate(n: usize, d: Duration) -> String {
    format!("{:.2} M/s", n as f64 / d.as_secs_f64() / 1e6)
}

// Not behind comark-app's formula-safe CSV writer: DuckDB reads these keys back by program
// and must get them byte for byte (a `'` would change the join), the keys are comark's own
// normalized output, and this crate depends on no other comark crate.
fn dump(dir: &Path, name: &str, keys: &[(AccountKey, u32)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(out, "idx,kind,key")?;
    for (key, idx) in keys {
        let value = key.as_str();
        if value.contains(['"', ',', '\n', '\r']) {
            writeln!(
                out,
                "{idx},{},\"{}\"",
                key.kind().as_str(),
                value.replace('"', "\"\"")
            )?;
        } else {
            writeln!(out, "{idx},{},{value}", key.kind().as_str())?;
        }
    }
    out.flush()?;
    println!("  dumped {} keys to {}", keys.len(), path.display());
    Ok(())
}

fn run(n: usize, shared_fraction: f64, dump_dir: Option<&Path>) {
    println!(
        "\n== {n} × {n} accounts (overlap {:.0}% of companies, ~20% without website, ~3% duplicates)",
        shared_fraction * 100.0
    );
    let t = Instant::now();
    let (ours_records, theirs_records, shared) = generate(n, shared_fraction);
    println!(
        "  generate data (not timed below)   {:>9.1} ms",
        ms(t.elapsed())
    );
    if let Some(peak) = peak_memory_mib() {
        println!("  peak RSS after generating (VmHWM) {peak:>9.1} MiB");
    }
    let ours = fields(&ours_records);
    let theirs = fields(&theirs_records);

    // Single-threaded throughput of each normalization function.
    let t = Instant::now();
    let mut found = 0usize;
    for a in &ours {
        if let Some(site) = a.website {
            found += usize::from(black_box(registrable_domain(black_box(site))).is_some());
        }
    }
    let d = t.elapsed();
    let sites = ours.iter().filter(|a| a.website.is_some()).count();
    println!(
        "  registrable_domain, 1 thread      {:>9.1} ms  {sites} websites, {} ({found} domains)",
        ms(d),
        rate(sites, d)
    );
    let t = Instant::now();
    let mut bytes = 0usize;
    for a in &ours {
        bytes += black_box(fold_company_name(black_box(a.name))).len();
    }
    let d = t.elapsed();
    println!(
        "  fold_company_name, 1 thread       {:>9.1} ms  {n} names, {} ({bytes} bytes)",
        ms(d),
        rate(n, d)
    );

    // The pipeline: keys for both sides (parallel), then the join. Each step runs several
    // times: the first run is the cold one, the minimum is the least disturbed by the other
    // work on this shared machine.
    let mut normalizes = Vec::new();
    let mut keys = None;
    for _ in 0..NORMALIZE_RUNS {
        drop(keys.take());
        let t = Instant::now();
        let ours_keys = key_accounts(&ours);
        let theirs_keys = key_accounts(&theirs);
        normalizes.push(t.elapsed());
        keys = Some((ours_keys, theirs_keys));
    }
    let (ours_keys, theirs_keys) = keys.expect("NORMALIZE_RUNS > 0");
    let normalize = Stats::of(normalizes);
    println!(
        "  key_accounts, both sides, rayon   {:>9.1} ms  first; min {:.1} ms, median {:.1} ms of {NORMALIZE_RUNS}; {} at the min",
        ms(normalize.first),
        ms(normalize.min),
        ms(normalize.median),
        rate(2 * n, normalize.min)
    );

    let mut joins = Vec::new();
    let mut matches = Vec::new();
    for _ in 0..JOIN_RUNS {
        drop(matches);
        let t = Instant::now();
        matches = overlap(&ours_keys, &theirs_keys);
        joins.push(t.elapsed());
    }
    let join = Stats::of(joins);
    let high = matches
        .iter()
        .filter(|m| m.confidence == Confidence::High)
        .count();
    println!(
        "  overlap (join)                    {:>9.1} ms  first; min {:.1} ms, median {:.1} ms of {JOIN_RUNS}",
        ms(join.first),
        ms(join.min),
        ms(join.median)
    );
    println!(
        "  matches                           {:>9}     {high} high, {} low (companies on both sides: {shared})",
        matches.len(),
        matches.len() - high
    );
    println!(
        "  normalize + match                 {:>9.1} ms  first runs; {:.1} ms at the mins (target for 1M × 1M: < 3000 ms)",
        ms(normalize.first + join.first),
        ms(normalize.min + join.min)
    );

    // Informative extras, outside the target.
    let t = Instant::now();
    let rekeyed: Vec<(AccountKey, u32)> = ours_keys
        .iter()
        .map(|(k, i)| (AccountKey::from_normalized(k.kind(), k.as_str()), *i))
        .collect();
    println!(
        "  re-key ours from normalized text  {:>9.1} ms  (allocate + hash, 1 thread)",
        ms(t.elapsed())
    );
    drop(black_box(rekeyed));
    let t = Instant::now();
    let groups = dedupe(&ours_keys);
    println!(
        "  dedupe ours                       {:>9.1} ms  {} groups from {} keyed accounts",
        ms(t.elapsed()),
        groups.len(),
        ours_keys.len()
    );
    drop(groups);
    if let Some(peak) = peak_memory_mib() {
        println!("  peak RSS so far (VmHWM)           {peak:>9.1} MiB");
    }
    if let Some(dir) = dump_dir {
        dump(dir, "ours.csv", &ours_keys).expect("write ours.csv");
        dump(dir, "theirs.csv", &theirs_keys).expect("write theirs.csv");
        println!("  our join result for comparison: {} pairs", matches.len());
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a test-harness filter or `--list` is not supported.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("COMARK_BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let shared: f64 = std::env::var("COMARK_BENCH_OVERLAP")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.3);
    let dump_dir = std::env::var_os("COMARK_BENCH_DUMP_DIR").map(std::path::PathBuf::from);
    println!(
        "comark-matching mapping benchmark: {} rayon threads, {} available cores",
        rayon::current_num_threads(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let largest = sizes.iter().copied().max().unwrap_or(0);
    for &n in &sizes {
        let dump_here = if n == largest {
            dump_dir.as_deref()
        } else {
            None
        };
        run(n, shared, dump_here);
    }
}
