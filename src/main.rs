//! The `reesim` command line: parses arguments, calls the library, prints errors.

use std::process::ExitCode;

use clap::Parser;

use reesim::app::{self, AppError, Settings};
use reesim::cli::Cli;
use reesim::report::terminal::colour;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = Settings::try_from(cli.command).and_then(|settings| {
        let stdout = std::io::stdout();
        let styled = colour(&stdout);
        app::run(settings, &mut stdout.lock(), styled)
    });
    match done {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`reesim schema | head`) wants no more: not an error.
        Err(AppError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_error(&e);
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// The error on stderr; scenario diagnostics in colour on a terminal without NO_COLOR.
fn print_error(e: &AppError) {
    match e {
        AppError::Load(reesim::scenario::LoadError::Invalid(d)) if colour(&std::io::stderr()) => {
            for diag in &d.0 {
                eprintln!("{}\n", diag.render(true));
            }
            eprintln!(
                "error: scenario is invalid ({} error{})",
                d.0.len(),
                if d.0.len() == 1 { "" } else { "s" }
            );
        }
        _ => eprintln!("{e}"),
    }
}
