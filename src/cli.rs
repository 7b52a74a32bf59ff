//! The command line: the only module that knows clap. It parses arguments into raw flags and
//! turns them, checked, into a plain `config::Command`.

use crate::config::{Command, RulesFormat, ScanConfig};
use crate::finding::SortOrder;
use crate::output::{Format, TimeDisplay};
use crate::scan::ScanOptions;
use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Find registry persistence written through WMI (StdRegProv / WmiPrvSE.exe) in EVTX files.
#[derive(Debug, Parser)]
#[command(name = "wmihunt", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Scan EVTX files and folders (recursively) for WmiPrvSE.exe writes to autostart keys.
    Scan(ScanArgs),
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
    /// Output format [default: table when stdout is a terminal, ndjson otherwise].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// With --format ecs: precede each document with an Elasticsearch `_bulk` `create` action
    /// for this index, so the output can be posted to `_bulk` as is.
    #[arg(long, value_name = "INDEX", requires = "format")]
    bulk_index: Option<String>,
    /// Write results to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Only events at or after this time (RFC 3339, e.g. 2024-05-01T00:00:00Z, or a date,
    /// read as midnight UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    from: Option<Timestamp>,
    /// Only events at or before this time (RFC 3339 or a date, read as the end of that day UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time_end)]
    to: Option<Timestamp>,
    /// No summary on stderr (read problems are still reported).
    #[arg(short, long)]
    quiet: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// List the files that were skipped as not EVTX.
    #[arg(short, long)]
    verbose: bool,
    /// Exit with code 1 when anything is found.
    #[arg(long)]
    fail_on_findings: bool,
    /// Render every record instead of only those that can name WmiPrvSE.exe (slower; the
    /// findings are the same).
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
    /// Print per-host totals after the findings (on stderr).
    #[arg(long)]
    summary: bool,
    /// Time zone for times shown to people: an IANA name (Europe/Berlin), `local` or `UTC`.
    /// NDJSON always carries UTC.
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = parse_zone)]
    timezone: TimeDisplay,
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

fn parse_time(text: &str) -> Result<Timestamp, String> {
    parse_time_at(text, false)
}

fn parse_time_end(text: &str) -> Result<Timestamp, String> {
    parse_time_at(text, true)
}

/// RFC 3339 with an offset, or a bare date (its start, or its last instant when `end`).
fn parse_time_at(text: &str, end: bool) -> Result<Timestamp, String> {
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    let date: Date = text.parse().map_err(|_| {
        format!("'{text}' is not an RFC 3339 time (2024-05-01T13:00:00Z) or a date (2024-05-01)")
    })?;
    let time = if end {
        date.at(23, 59, 59, 999_999_999)
    } else {
        date.at(0, 0, 0, 0)
    };
    time.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Format {
        match arg {
            FormatArg::Table => Format::Table,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Ecs => Format::Ecs,
            FormatArg::Timesketch => Format::Timesketch,
            FormatArg::Csv => Format::Csv,
        }
    }
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
        Sub::Scan(args) => Command::Scan(scan_config(args)?),
    })
}

fn scan_config(args: ScanArgs) -> Result<ScanConfig, clap::Error> {
    if args.bulk_index.is_some() && !matches!(args.format, Some(FormatArg::Ecs)) {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        return Err(cmd.error(
            clap::error::ErrorKind::ArgumentConflict,
            "--bulk-index goes with --format ecs",
        ));
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.map(Format::from).unwrap_or(if to_terminal {
        Format::Table
    } else {
        Format::Ndjson
    });
    let threads = args
        .threads
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    Ok(ScanConfig {
        paths: args.paths,
        bulk_index: args.bulk_index,
        format,
        output: args.output,
        scan: ScanOptions {
            threads,
            prefilter: !args.no_prefilter,
            recover: args.recover,
            from: args.from,
            to: args.to,
        },
        progress: !args.no_progress && !args.quiet && std::io::stderr().is_terminal(),
        quiet: args.quiet,
        verbose: args.verbose,
        fail_on_findings: args.fail_on_findings,
        sort: match args.sort {
            SortArg::Time => SortOrder::Time,
            SortArg::Score => SortOrder::Score,
        },
        dedup: !args.no_dedup,
        host_summary: args.summary,
        execution_check: !args.no_execution_check,
        time_display: args.timezone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_utc() {
        assert_eq!(
            parse_time("2024-05-01T12:00:00+02:00").unwrap().to_string(),
            "2024-05-01T10:00:00Z"
        );
        assert_eq!(
            parse_time("2024-05-01").unwrap().to_string(),
            "2024-05-01T00:00:00Z"
        );
        assert_eq!(
            parse_time_end("2024-05-01").unwrap().to_string(),
            "2024-05-01T23:59:59.999999999Z"
        );
        assert!(parse_time("yesterday").is_err());
    }
}
