//! The `phonescrub` command-line tool: the same engine as the page, for batch jobs and
//! files too big for a browser tab.
//!
//! Exit codes: 0 success, 1 unreadable input, 2 bad policy or usage.

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::fs::File;
    use std::io::{BufWriter, Write};
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::Instant;

    use clap::{Parser, Subcommand};
    use phonescrub::protect::Sealed;
    use phonescrub::{Error, OutputFormat, Policy, Scrubber};

    #[derive(Parser)]
    #[command(
        name = "phonescrub",
        version,
        about = "Scrub phone-number contact lists on your own machine"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Print the list's encoding, delimiter, columns and each column's guessed role (JSON).
        Profile {
            /// The contact list (CSV, TSV or other delimited text, or a spreadsheet).
            input: PathBuf,
            /// Region for numbers without +country code, e.g. GB (helps spot the phone column).
            #[arg(long)]
            region: Option<String>,
            /// Rows to look at.
            #[arg(long, default_value_t = phonescrub::DEFAULT_SAMPLE_ROWS)]
            rows: usize,
            /// For a spreadsheet (.xlsx, .xls, .ods): the sheet to profile (default: the
            /// first); the profile lists every sheet.
            #[arg(long)]
            sheet: Option<String>,
        },
        /// Scrub a list under a policy, writing the cleaned list, the removed rows and a report.
        Scrub {
            /// The contact list (CSV or other delimited text, or an .xlsx, .xls or .ods
            /// spreadsheet).
            input: PathBuf,
            /// For a spreadsheet: the sheet to scrub (default: the first).
            #[arg(long)]
            sheet: Option<String>,
            /// The policy (JSON, the same shape the page saves).
            #[arg(long)]
            policy: PathBuf,
            /// An opt-out (suppression) list; repeat for several.
            #[arg(long = "optout")]
            opt_outs: Vec<PathBuf>,
            /// Where to write the cleaned list.
            #[arg(long)]
            out: PathBuf,
            /// Write the cleaned and removed lists as `csv` or `xlsx` (overrides the
            /// policy's `output.format`).
            #[arg(long, value_parser = ["csv", "xlsx"])]
            format: Option<String>,
            /// Where to write the removed rows (with line and reasons).
            #[arg(long)]
            removed: PathBuf,
            /// Where to write the report (JSON).
            #[arg(long)]
            report: PathBuf,
            /// Print progress to stderr.
            #[arg(long)]
            progress: bool,
            /// Threads for a large UTF-8 text list (cut into parts and merged in order, with
            /// the same result as one thread); default: the machine's cores.
            #[arg(long)]
            threads: Option<usize>,
            /// File holding the secret key for keyed hashes (policy `output.hash.keyed`);
            /// a trailing newline is ignored. The key is never written anywhere.
            #[arg(long)]
            hash_key_file: Option<PathBuf>,
            /// Encrypt the cleaned and removed files with the passphrase in this file (age
            /// format, scrypt; decrypt with `age -d` or `rage -d`). A trailing newline is
            /// ignored.
            #[arg(long)]
            passphrase_file: Option<PathBuf>,
        },
    }

    fn open(path: &Path) -> Result<File, Error> {
        File::open(path).map_err(|e| Error::input(format!("cannot open {}: {e}", path.display())))
    }

    fn create(path: &Path) -> Result<BufWriter<File>, Error> {
        File::create(path)
            .map(BufWriter::new)
            .map_err(|e| Error::input(format!("cannot write {}: {e}", path.display())))
    }

    fn today() -> phonescrub::Date {
        time::OffsetDateTime::now_utc().date()
    }

    pub fn main() -> ExitCode {
        // A damaged .xls can make calamine's record reader panic; the engine catches it and
        // says the file is damaged (phonescrub::sheet), so the panic's own message would
        // only be noise. Every other panic is reported as usual.
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !phonescrub::sheet::is_contained_panic(info) {
                report(info);
            }
        }));
        let cli = Cli::parse();
        let result: Result<(), Error> = match cli.command {
            Command::Profile {
                input,
                region,
                rows,
                sheet,
            } => (|| {
                let size = std::fs::metadata(&input).ok().map(|m| m.len());
                let profile = phonescrub::profile_sheet(
                    open(&input)?,
                    rows,
                    region.as_deref(),
                    size,
                    sheet.as_deref(),
                )?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&profile).expect("plain data")
                );
                Ok(())
            })(),
            Command::Scrub {
                input,
                sheet,
                policy,
                opt_outs,
                out,
                format,
                removed,
                report,
                progress,
                threads,
                hash_key_file,
                passphrase_file,
            } => (|| {
                let text = std::fs::read_to_string(&policy)
                    .map_err(|e| Error::policy(format!("cannot read {}: {e}", policy.display())))?;
                let mut policy = Policy::from_json(&text)?;
                match format.as_deref() {
                    Some("xlsx") => policy.output.format = OutputFormat::Xlsx,
                    Some(_) => policy.output.format = OutputFormat::Csv,
                    None => {}
                }
                let started = Instant::now();
                let mut scrubber = Scrubber::new(policy, today())?;
                if let Some(name) = &sheet {
                    scrubber.set_sheet(name);
                }
                if let Some(path) = &hash_key_file {
                    let key = std::fs::read(path).map_err(|e| {
                        Error::policy(format!("cannot read the hash key {}: {e}", path.display()))
                    })?;
                    let key = key.strip_suffix(b"\n").unwrap_or(&key);
                    scrubber.set_hash_key(key.strip_suffix(b"\r").unwrap_or(key));
                }
                for list in &opt_outs {
                    let name = list.file_name().map_or_else(
                        || list.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    scrubber.add_opt_out_list(&name, open(list)?)?;
                }
                let size = std::fs::metadata(&input)
                    .map(|m| m.len())
                    .unwrap_or(0)
                    .max(1);
                let passphrase = passphrase_file
                    .as_ref()
                    .map(|path| {
                        std::fs::read_to_string(path)
                            .map(|text| text.trim_end_matches(['\r', '\n']).to_string())
                            .map_err(|e| {
                                Error::policy(format!(
                                    "cannot read the passphrase {}: {e}",
                                    path.display()
                                ))
                            })
                    })
                    .transpose()?;
                let mut cleaned = Sealed::new(create(&out)?, passphrase.as_deref())?;
                let mut removed_out = Sealed::new(create(&removed)?, passphrase.as_deref())?;
                let mut report_progress = |p: phonescrub::Progress| {
                    if progress {
                        eprint!(
                            "\r{:?}: {} rows, {:.0}%   ",
                            p.phase,
                            p.rows,
                            100.0 * p.bytes as f64 / size as f64
                        );
                    }
                };
                let threads = threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                let mut rep = if threads > 1 {
                    scrubber.run_parallel(
                        &open(&input)?,
                        threads,
                        &mut cleaned,
                        &mut removed_out,
                        &mut report_progress,
                    )?
                } else {
                    scrubber.run(
                        &mut || open(&input),
                        &mut cleaned,
                        &mut removed_out,
                        &mut report_progress,
                    )?
                };
                cleaned.finish()?;
                removed_out.finish()?;
                if progress {
                    eprintln!();
                }
                rep.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                let mut file = create(&report)?;
                file.write_all(rep.to_json().as_bytes())?;
                file.flush()?;
                eprintln!(
                    "{} rows read: {} kept, {} removed ({:.0} ms)",
                    rep.rows_read, rep.rows_kept, rep.rows_removed, rep.elapsed_ms
                );
                Ok(())
            })(),
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("phonescrub: {err}");
                ExitCode::from(if err.is_policy() { 2 } else { 1 })
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

// The tool is native-only; in the wasm build the engine is used through `src/wasm.rs`.
#[cfg(target_arch = "wasm32")]
fn main() {}
