//! Errors: what went wrong and, where it applies, on which line of the input.

use std::fmt;

/// Everything that can stop a profile or a scrub.
///
/// Errors are boxed so that `Result<T, Error>` stays one word wide on the hot path.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// The kind of an [`Error`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The policy is not usable (unknown column, bad region, bad value). CLI exit code 2.
    Policy(String),
    /// The input cannot be read as a list. `line` is 1-based in the source file.
    Input {
        /// 1-based source line, where the problem is tied to one.
        line: Option<u64>,
        /// What is wrong, in words a user can act on.
        message: String,
    },
    /// Reading or writing failed underneath us.
    Io(std::io::Error),
    /// The job needs a part of the engine this build leaves out (the cargo feature
    /// `sheets` or `seal`): the page's core wasm says so, and the full one runs the job.
    NeedsModule {
        /// The cargo feature (and the page's module) needed: "sheets", "seal" or
        /// "encodings".
        module: &'static str,
        /// What needs it, in words a user can act on.
        message: String,
    },
}

impl Error {
    /// A policy error.
    pub fn policy(message: impl Into<String>) -> Error {
        Error(Box::new(ErrorKind::Policy(message.into())))
    }

    /// An input error tied to a line of the source file.
    pub fn input_at(line: u64, message: impl Into<String>) -> Error {
        Error(Box::new(ErrorKind::Input {
            line: Some(line),
            message: message.into(),
        }))
    }

    /// An input error not tied to one line (an empty file, say).
    pub fn input(message: impl Into<String>) -> Error {
        Error(Box::new(ErrorKind::Input {
            line: None,
            message: message.into(),
        }))
    }

    /// An error for a job that needs the `module` feature, which this build leaves out.
    pub fn needs_module(module: &'static str, message: impl Into<String>) -> Error {
        Error(Box::new(ErrorKind::NeedsModule {
            module,
            message: message.into(),
        }))
    }

    /// The feature this build lacks, when that is what stopped the job.
    pub fn needed_module(&self) -> Option<&'static str> {
        match &*self.0 {
            ErrorKind::NeedsModule { module, .. } => Some(module),
            _ => None,
        }
    }

    /// The kind of this error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// The 1-based source line this error is about, if any.
    pub fn line(&self) -> Option<u64> {
        match &*self.0 {
            ErrorKind::Input { line, .. } => *line,
            _ => None,
        }
    }

    /// The same error with its line moved down by `lines`: a part of a file read on its
    /// own counts lines from its start.
    pub(crate) fn shifted(self, lines: u64) -> Error {
        match *self.0 {
            ErrorKind::Input {
                line: Some(line),
                message,
            } => Error::input_at(line + lines, message),
            other => Error(Box::new(other)),
        }
    }

    /// True when the error is the policy's fault rather than the input's.
    pub fn is_policy(&self) -> bool {
        matches!(&*self.0, ErrorKind::Policy(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::Policy(message) => write!(f, "policy: {message}"),
            ErrorKind::Input {
                line: Some(line),
                message,
            } => write!(f, "line {line}: {message}"),
            ErrorKind::Input {
                line: None,
                message,
            } => write!(f, "{message}"),
            ErrorKind::Io(err) => write!(f, "I/O error: {err}"),
            ErrorKind::NeedsModule { module, message } => {
                write!(f, "{message}: this build leaves out the {module} module")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            ErrorKind::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        if let Some(too_long) = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<crate::input::LineTooLong>())
        {
            return Error::input_at(too_long.0, too_long.message());
        }
        if let Some(gone) = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<crate::input::Unreadable>())
        {
            return Error::input(gone.to_string());
        }
        Error(Box::new(ErrorKind::Io(err)))
    }
}

impl From<csv::Error> for Error {
    fn from(err: csv::Error) -> Error {
        let line = err.position().map(|p| p.line());
        match err.into_kind() {
            csv::ErrorKind::Io(io) => Error::from(io),
            other => Error(Box::new(ErrorKind::Input {
                line,
                message: csv_message(&other),
            })),
        }
    }
}

fn csv_message(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::Utf8 { err, .. } => format!("text is not valid UTF-8 ({err})"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        other => format!("{other:?}"),
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_name_their_line() {
        let err = Error::input_at(13, "unreadable date");
        assert_eq!(err.to_string(), "line 13: unreadable date");
        assert_eq!(err.line(), Some(13));
        assert!(!err.is_policy());
    }

    #[test]
    fn policy_errors_say_so() {
        let err = Error::policy("unknown column \"phon\"");
        assert_eq!(err.to_string(), "policy: unknown column \"phon\"");
        assert!(err.is_policy());
        assert_eq!(err.line(), None);
    }
}
