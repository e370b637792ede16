//! `christen tally`, reading: the RCTab configuration if one is given, then
//! the ballot file (or standard input, or a vendor's folder), or every CVR
//! source the configuration names, all through `formats::read`.

use std::io::{IsTerminal, Read};
use std::path::Path;

use super::args::TallyArgs;
use crate::formats::rctab_config::{read_rctab_config, RctabConfig, RctabCvrSource};
use crate::formats::{self, rctab_sources, ElectionFile, Format, ReadOptions, Source};

/// What was read: the ballots (with what the file says of seats and rules)
/// and the configuration to count them under, if any.
pub struct Input {
    pub file: ElectionFile,
    pub config: Option<RctabConfig>,
}

/// Files at least this large get a progress bar (on a terminal).
const PROGRESS_BYTES: u64 = 8 << 20;

/// Reads what `args` name.
pub fn read_input(args: &TallyArgs) -> Result<Input, String> {
    let config = match &args.rules.rctab_config {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| read_rctab_config(&t).map_err(|e| e.to_string()))
                .map_err(|e| format!("{path}: {e}"))?,
        ),
        None => None,
    };
    let file =
        match (&args.file, &args.rules.rctab_config, &config) {
            (None, Some(path), Some(config)) => {
                let dir = Path::new(path).parent().unwrap_or(Path::new("."));
                let election =
                    rctab_sources::read_sources(config, dir).map_err(|e| format!("{path}: {e}"))?;
                ElectionFile::of(election)
            }
            (None, _, _) => return Err(
                "give a ballot file (- for standard input), or --rctab-config with cvrFileSources"
                    .to_owned(),
            ),
            (Some(file), _, _) => read_file(args, file, config.as_ref())?,
        };
    Ok(Input { file, config })
}

/// Reads the file (or folder, or `-` for standard input) named on the command
/// line, in `--format` or the format told from it.
fn read_file(
    args: &TallyArgs,
    file: &str,
    config: Option<&RctabConfig>,
) -> Result<ElectionFile, String> {
    let stdin;
    let source = if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("standard input: {e}"))?;
        stdin = bytes;
        Source::Bytes {
            name: "standard input",
            bytes: &stdin,
        }
    } else {
        Source::Path(Path::new(file))
    };
    let format = match args.format.0.or_else(|| source.detect()) {
        Some(format) => format,
        None if file != "-" && !Path::new(file).exists() => {
            return Err(format!("{file}: no such file or folder"))
        }
        None => {
            return Err(format!(
                "{}: cannot tell the file format from its name or contents; give --format {} \
                 (the default, auto, guesses)",
                source.name(),
                super::args::FormatArg::names().join("|")
            ))
        }
    };
    let options = options(args, format, config)?;
    let bar = progress_bar(&source, format);
    let mut progress = |done: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let read = formats::read_with_progress(&source, format, &options, &mut progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    read.map_err(|e| e.to_string())
}

/// The reading options for a file of `format` named on the command line: those
/// of the configuration's source of that provider (else its first source),
/// `--contest` instead of its contestId.
fn options(
    args: &TallyArgs,
    format: Format,
    config: Option<&RctabConfig>,
) -> Result<ReadOptions, String> {
    let source = config.and_then(|c| {
        c.sources
            .iter()
            .find(|s| Some(s.provider.as_str()) == format.provider())
            .or(c.sources.first())
    });
    let mut options = match source {
        Some(source) => {
            if Some(source.provider.as_str()) == format.provider() {
                rctab_sources::check_source(&RctabCvrSource {
                    file_path: args.file().to_owned(),
                    ..source.clone()
                })?;
            }
            rctab_sources::read_options(source, config)
        }
        None => ReadOptions::default(),
    };
    if let Some(contest) = &args.contest {
        options.contest = Some(contest.clone());
    }
    Ok(options)
}

/// A progress bar for reading a large plain file, when standard error is a
/// terminal.
fn progress_bar(source: &Source<'_>, format: Format) -> Option<indicatif::ProgressBar> {
    let len = match source {
        Source::Path(path) => std::fs::metadata(path).ok()?.len(),
        Source::Bytes { bytes, .. } => bytes.len() as u64,
    };
    (format.is_plain() && std::io::stderr().is_terminal() && len >= PROGRESS_BYTES).then(|| {
        let bar = indicatif::ProgressBar::new(len);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "reading {bytes}/{total_bytes} [{bar:40}] {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    })
}
