//! The command line: the only module that knows clap. It parses arguments into raw flags and
//! turns them, checked, into a plain `config::Command`.

use crate::config::{Command, ScanConfig};
use crate::detect::Severity;
use crate::filter::{Allowlist, Filters, Glob, HostFilter, Level};
use crate::finding::SortOrder;
use crate::output::summary::Diagnostics;
use crate::output::terminal::ColorChoice;
use crate::output::{Format, RulesFormat, TimeDisplay};
use crate::pass::detection::ScanOptions;
use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::io::IsTerminal;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

/// Examples and exit codes, after the options of `wmihunt --help` and `wmihunt scan --help`.
const EXAMPLES: &str = "\
Examples:
  wmihunt scan /cases/acme/                          a table on the terminal
  wmihunt scan -o report.html /cases/acme/           a case report to open in a browser
  wmihunt scan -o findings.ndjson /cases/acme/       NDJSON for other tools (.csv: CSV)
  wmihunt scan --min-level high --host 'WS*' --allowlist known-good.yml /cases/acme/
  wmihunt scan --sort score --summary --timezone Europe/Berlin /cases/acme/
  wmihunt rules                                      the detections and their ATT&CK ids

Exit codes:
  0  scan complete (findings or not, without --fail-on-findings)
  1  findings, with --fail-on-findings
  2  some files, chunks or records could not be read (listed on stderr); the rest was scanned
  3  usage error, nothing readable in the paths, or the output could not be written";

/// Find registry persistence written through WMI (StdRegProv / WmiPrvSE.exe) in EVTX files.
#[derive(Debug, Parser)]
#[command(name = "wmihunt", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Scan EVTX files and folders (recursively) for WmiPrvSE.exe writes to autostart keys and
    /// WMI event subscriptions.
    #[command(after_help = EXAMPLES)]
    Scan(Box<ScanArgs>),
    /// List every detection: id, title, ATT&CK techniques, severity and key locations.
    Rules {
        /// Output format: a table, NDJSON, or Sigma rules (YAML) for a SIEM.
        #[arg(long, value_enum, default_value_t = RulesFormatArg::Table)]
        format: RulesFormatArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Ndjson,
    Ecs,
    Timesketch,
    Csv,
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LevelArg {
    Info,
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RulesFormatArg {
    Table,
    Ndjson,
    Sigma,
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// EVTX files or folders; folders are walked recursively and every file that starts
    /// with the EVTX signature is scanned, whatever its name.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format [default: from the extension of --output (.ndjson, .jsonl, .csv,
    /// .html); else table when stdout is a terminal, ndjson otherwise]. `html` is a
    /// self-contained case report.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// With --format ecs: precede each document with an Elasticsearch `_bulk` `create` action
    /// for this index, so the output can be posted to `_bulk` as is.
    #[arg(long, value_name = "INDEX")]
    bulk_index: Option<String>,
    /// Write results to FILE instead of stdout. FILE must not exist (see --clobber); it is
    /// written beside itself under a temporary name and renamed into place when the run ends.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace FILE given to --output when it exists. An input, an event log or a zip
    /// archive is never replaced.
    #[arg(long, requires = "output")]
    clobber: bool,
    /// Lay the table out for N columns [default: the terminal's width; 160 when stdout is
    /// no terminal]. Narrower than about 110 columns, each finding is a block of labelled
    /// lines instead of a table row.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..=1000))]
    width: Option<u16>,
    /// Colour severities in the table: auto (on a terminal, unless NO_COLOR is set), always
    /// (e.g. for `less -R`) or never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,
    /// Worker threads [default: all cores].
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Only events at or after this time: RFC 3339 (2024-05-01T13:00:00Z), a time as the
    /// table shows it (2024-05-01 13:00:00.125, read in --timezone), or a date (its start).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Only events at or before this time, at the precision typed: a date includes the whole
    /// day, 13:00:02 the whole second, 13:00:02.125 the whole millisecond.
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// No summary on stderr (read problems are still reported).
    #[arg(short, long)]
    quiet: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// List the files that were skipped as not EVTX.
    #[arg(short, long)]
    verbose: bool,
    /// Exit with code 1 when anything is found: findings of severity low and above, or with
    /// `=SEVERITY` of that severity and above (`=info` counts the context of --context too).
    #[arg(
        long,
        value_name = "SEVERITY",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "low"
    )]
    fail_on_findings: Option<SeverityArg>,
    /// Context: also report every other WmiPrvSE.exe registry write and every WMI subscription
    /// event (Windows' own subscriptions, lone filters) as findings of severity info, to see
    /// what else WMI did on the host.
    #[arg(long, visible_alias = "all-writes")]
    context: bool,
    /// Render every record instead of only those that can name WmiPrvSE.exe or hold a WMI
    /// subscription event: slower, the same findings on logs Windows wrote; use it when the
    /// logs may have been tampered with.
    #[arg(long)]
    no_prefilter: bool,
    /// Also carve records from chunk slack and cleared chunks; their findings are marked.
    #[arg(long)]
    recover: bool,
    /// Order of the findings: by time (then file, record id) or by triage score.
    #[arg(long, value_enum, default_value_t = SortArg::Time)]
    sort: SortArg,
    /// Keep the same event found in several copies of a log as separate findings.
    #[arg(long)]
    no_dedup: bool,
    /// Skip the second pass that looks for process creations (Sysmon 1, Security 4688) that
    /// ran each finding's payload.
    #[arg(long)]
    no_execution_check: bool,
    /// Skip the third pass that looks for the caller behind each write (logons, inbound RPC,
    /// WMI-Activity, and the command on the caller's host).
    #[arg(long)]
    no_attribution: bool,
    /// How long before each write to look for its caller: seconds, or a number with `s`, `m`
    /// or `h` (`90s`, `5m`).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_window)]
    caller_window: NonZeroU32,
    /// Print per-host totals after the findings (on stderr).
    #[arg(long)]
    summary: bool,
    /// Time zone for times shown to people: an IANA name (Europe/Berlin), `local` or `UTC`.
    /// NDJSON always carries UTC.
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = parse_zone)]
    timezone: TimeDisplay,
    /// Show only findings of this level and above (high: values written; medium: keys
    /// created or renamed; low: deletions; info: everything).
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = LevelArg::Info)]
    min_level: LevelArg,
    /// Show only findings on hosts matching GLOB (repeatable; the full name or its first
    /// label, any case: `WS*`, `dc01`).
    #[arg(long, value_name = "GLOB", value_parser = Glob::new)]
    host: Vec<Glob>,
    /// Leave out findings on hosts matching GLOB (repeatable; wins over --host).
    #[arg(long, value_name = "GLOB", value_parser = Glob::new)]
    exclude_host: Vec<Glob>,
    /// Leave out known-good writes listed in FILE (YAML, docs/filters.md); the summary
    /// counts what each entry left out.
    #[arg(long, value_name = "FILE")]
    allowlist: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
}

impl From<SeverityArg> for Severity {
    fn from(arg: SeverityArg) -> Severity {
        match arg {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SortArg {
    Time,
    Score,
}

fn parse_zone(name: &str) -> Result<TimeDisplay, String> {
    let zone = if name.eq_ignore_ascii_case("local") {
        TimeZone::try_system().map_err(|e| format!("cannot find the local time zone: {e}"))?
    } else if name.eq_ignore_ascii_case("UTC") {
        TimeZone::UTC
    } else {
        TimeZone::get(name).map_err(|e| format!("unknown time zone '{name}': {e}"))?
    };
    Ok(TimeDisplay {
        zone,
        label: name.to_string(),
    })
}

/// A caller window in seconds: `300`, `300s`, `5m` or `1h`; more than zero, at most a day.
fn parse_window(text: &str) -> Result<NonZeroU32, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "'{text}': use seconds, or a number with s, m or h (5m)"
            ))
        }
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("'{text}': use seconds, or a number with s, m or h (5m)"))?;
    let secs = n.saturating_mul(scale);
    u32::try_from(secs)
        .ok()
        .filter(|s| *s <= 86_400)
        .and_then(NonZeroU32::new)
        .ok_or_else(|| format!("'{text}': the window must be from 1 s to 24 h"))
}

/// Which end of the window a time bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    From,
    To,
}

/// How finely a time was typed, so `--to` can include everything inside its last unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Day,
    /// A unit of this many nanoseconds (minute, second, or a decimal fraction of one).
    Nanos(i64),
}

/// The precision of a time typed as `YYYY-MM-DD[( |T)HH:MM[:SS[.fffffffff]]][offset]`.
fn precision(text: &str) -> Precision {
    let bytes = text.as_bytes();
    if bytes.len() <= 10 {
        return Precision::Day;
    }
    // HH:MM ends at 16; seconds follow after a colon.
    if bytes.get(16) != Some(&b':') {
        return Precision::Nanos(60_000_000_000);
    }
    if !matches!(bytes.get(19), Some(b'.' | b',')) {
        return Precision::Nanos(1_000_000_000);
    }
    let digits = bytes
        .get(20..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
        .min(9);
    // 10^(9 - digits) nanoseconds; `digits` is at most 9.
    Precision::Nanos((digits..9).fold(1, |unit, _| unit * 10))
}

/// Reads a window bound. Times with an offset (`Z`, `+01:00`) are absolute; times and dates
/// without one are read in `zone`, the zone the table shows times in. A `To` bound covers the
/// whole last unit typed, so a time copied from the table or NDJSON includes its event.
fn parse_bound(text: &str, zone: &TimeZone, bound: Bound) -> Result<Timestamp, String> {
    let text = text.trim();
    let invalid = || {
        format!(
            "'{text}' is not a time: use RFC 3339 (2024-05-01T13:00:00Z), a time as the table \
             shows it (2024-05-01 13:00:00.125) or a date (2024-05-01)"
        )
    };
    let in_zone = |dt: jiff::civil::DateTime| {
        dt.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|e| format!("'{text}': {e}"))
    };
    let precision = precision(text);
    if precision == Precision::Day {
        let date: Date = text.parse().map_err(|_| invalid())?;
        return match bound {
            Bound::From => in_zone(date.at(0, 0, 0, 0)),
            Bound::To => {
                let next = date.tomorrow().map_err(|e| format!("'{text}': {e}"))?;
                in_zone(next.at(0, 0, 0, 0))?
                    .checked_sub(jiff::SignedDuration::from_nanos(1))
                    .map_err(|e| format!("'{text}': {e}"))
            }
        };
    }
    let start = match text.parse::<Timestamp>() {
        Ok(ts) => ts,
        Err(_) => in_zone(text.parse().map_err(|_| invalid())?)?,
    };
    match (bound, precision) {
        (Bound::To, Precision::Nanos(unit)) => start
            .checked_add(jiff::SignedDuration::from_nanos(unit - 1))
            .map_err(|e| format!("'{text}': {e}")),
        _ => Ok(start),
    }
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Format {
        match arg {
            FormatArg::Table => Format::Table,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Ecs => Format::Ecs,
            FormatArg::Timesketch => Format::Timesketch,
            FormatArg::Csv => Format::Csv,
            FormatArg::Html => Format::Html,
        }
    }
}

/// The format an output file's extension names, when it names one.
fn format_of(path: &Path) -> Option<Format> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "ndjson" | "jsonl" => Some(Format::Ndjson),
        "csv" => Some(Format::Csv),
        "html" | "htm" => Some(Format::Html),
        _ => None,
    }
}

/// The filters, checked: the allowlist is read now, so a bad one is a usage error before
/// anything is scanned.
fn filters(args: &mut ScanArgs) -> Result<Filters, clap::Error> {
    let allowlist = args
        .allowlist
        .as_deref()
        .map(Allowlist::load)
        .transpose()
        .map_err(|e| usage_error(clap::error::ErrorKind::ValueValidation, e))?;
    Ok(Filters {
        min_level: match args.min_level {
            LevelArg::Info => Level::Info,
            LevelArg::Low => Level::Low,
            LevelArg::Medium => Level::Medium,
            LevelArg::High => Level::High,
        },
        hosts: HostFilter {
            include: std::mem::take(&mut args.host),
            exclude: std::mem::take(&mut args.exclude_host),
        },
        allowlist,
    })
}

/// Parses the process arguments; on a usage error (or `--help`/`--version`) returns clap's
/// error, which knows how to print itself.
pub fn parse() -> Result<Command, clap::Error> {
    let cli = Cli::try_parse()?;
    Ok(match cli.command {
        Sub::Rules { format } => Command::Rules {
            format: match format {
                RulesFormatArg::Table => RulesFormat::Table,
                RulesFormatArg::Ndjson => RulesFormat::Ndjson,
                RulesFormatArg::Sigma => RulesFormat::Sigma,
            },
        },
        Sub::Scan(args) => Command::Scan(Box::new(scan_config(*args)?)),
    })
}

/// A usage error in clap's own form, so it prints and exits like clap's.
fn usage_error(kind: clap::error::ErrorKind, message: impl std::fmt::Display) -> clap::Error {
    <Cli as clap::CommandFactory>::command().error(kind, message)
}

/// The time window, checked: a window that is empty by construction is a usage error, not a
/// clean result.
fn window(
    args: &ScanArgs,
    zone: &TimeZone,
) -> Result<(Option<Timestamp>, Option<Timestamp>), clap::Error> {
    let read = |text: &Option<String>, bound, flag| {
        text.as_deref()
            .map(|t| parse_bound(t, zone, bound))
            .transpose()
            .map_err(|e| {
                usage_error(
                    clap::error::ErrorKind::ValueValidation,
                    format!("{flag}: {e}"),
                )
            })
    };
    let from = read(&args.from, Bound::From, "--from")?;
    let to = read(&args.to, Bound::To, "--to")?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(usage_error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "the time window is empty: --from ({from}) is later than --to ({to}); \
                     were they swapped?"
                ),
            ));
        }
    }
    Ok((from, to))
}

fn scan_config(mut args: ScanArgs) -> Result<ScanConfig, clap::Error> {
    if args.bulk_index.is_some() && !matches!(args.format, Some(FormatArg::Ecs)) {
        return Err(usage_error(
            clap::error::ErrorKind::ArgumentConflict,
            "--bulk-index goes with --format ecs",
        ));
    }
    let (from, to) = window(&args, &args.timezone.zone)?;
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let inferred = args.output.as_deref().and_then(format_of);
    let format = args
        .format
        .map(Format::from)
        .or(inferred)
        .unwrap_or(if to_terminal {
            Format::Table
        } else {
            Format::Ndjson
        });
    let filters = filters(&mut args)?;
    let threads = args
        .threads
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    Ok(ScanConfig {
        paths: args.paths,
        bulk_index: args.bulk_index,
        format,
        output: args.output,
        clobber: args.clobber,
        width: args.width,
        color: match args.color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        },
        scan: ScanOptions {
            threads,
            prefilter: !args.no_prefilter,
            recover: args.recover,
            from,
            to,
            context: args.context,
        },
        progress: !args.no_progress && !args.quiet && std::io::stderr().is_terminal(),
        diagnostics: Diagnostics {
            quiet: args.quiet,
            verbose: args.verbose,
            hosts: args.summary,
            time: args.timezone,
        },
        fail_on_findings: args.fail_on_findings.map(Severity::from),
        sort: match args.sort {
            SortArg::Time => SortOrder::Time,
            SortArg::Score => SortOrder::Score,
        },
        dedup: !args.no_dedup,
        execution_check: !args.no_execution_check,
        caller_window: (!args.no_attribution).then_some(args.caller_window),
        filters,
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str, bound: Bound) -> String {
        parse_bound(text, &TimeZone::UTC, bound)
            .map(|t| t.to_string())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn bounds_cover_the_precision_typed() {
        assert_eq!(
            utc("2024-05-01T12:00:00+02:00", Bound::From),
            "2024-05-01T10:00:00Z"
        );
        assert_eq!(utc("2024-05-01", Bound::From), "2024-05-01T00:00:00Z");
        assert_eq!(
            utc("2024-05-01", Bound::To),
            "2024-05-01T23:59:59.999999999Z"
        );
        // As the table shows times (milliseconds, no offset) and as NDJSON does (7 digits).
        assert_eq!(
            utc("2024-03-01 11:00:02.125", Bound::To),
            "2024-03-01T11:00:02.125999999Z"
        );
        assert_eq!(
            utc("2024-03-01 11:00:02.125", Bound::From),
            "2024-03-01T11:00:02.125Z"
        );
        assert_eq!(
            utc("2020-12-10T11:18:54.8563115Z", Bound::To),
            "2020-12-10T11:18:54.856311599Z"
        );
        assert_eq!(
            utc("2024-03-01T11:00:02Z", Bound::To),
            "2024-03-01T11:00:02.999999999Z"
        );
        assert_eq!(
            utc("2024-03-01T11:00", Bound::To),
            "2024-03-01T11:00:59.999999999Z"
        );
        assert!(utc("yesterday", Bound::From).contains("is not a time"));
        assert!(utc("2024-13-01", Bound::From).contains("is not a time"));
    }

    #[test]
    fn caller_windows() {
        let secs = |t| parse_window(t).map(NonZeroU32::get);
        assert_eq!(secs("300"), Ok(300));
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("5m"), Ok(300));
        assert_eq!(secs("1h"), Ok(3600));
        assert!(secs("0").is_err());
        assert!(secs("2d").is_err());
        assert!(secs("25h").is_err());
        assert!(secs("-5m").is_err());
    }

    #[test]
    fn times_without_an_offset_are_read_in_the_display_zone() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let at = |text| parse_bound(text, &berlin, Bound::From).unwrap().to_string();
        assert_eq!(at("2024-03-01 11:00:02.125"), "2024-03-01T10:00:02.125Z");
        assert_eq!(at("2024-03-01"), "2024-02-29T23:00:00Z");
        assert_eq!(at("2024-03-01T11:00:02Z"), "2024-03-01T11:00:02Z");
    }
}
