//! Exit codes, each with one meaning.

/// Everything passed (skipped scenarios do not fail a run).
pub const SUCCESS: u8 = 0;
/// A check failed, or a threshold or baseline was breached.
pub const FAILURES: u8 = 1;
/// Usage or configuration error: bad arguments, unreadable or invalid input files, a
/// credential's environment variable not set.
pub const USAGE: u8 = 2;
/// The run could not be carried out, though its input was good: the target does not answer
/// or refuses the session, a port cannot be bound, a report cannot be written.
pub const RUNTIME: u8 = 3;
/// A load run stopped by SIGINT (Ctrl-C), reported as interrupted: 128 + 2.
pub const INTERRUPTED: u8 = 130;
/// A load run stopped by SIGTERM, reported as interrupted: 128 + 15.
pub const TERMINATED: u8 = 143;
/// Stdout was closed under us (`obharness run | head -2`): ended quietly, as a shell reports a
/// process ended by SIGPIPE (128 + 13).
pub const BROKEN_PIPE: u8 = 141;

/// Ends the process quietly when `e` says stdout's reader went away; other errors are the
/// caller's.
pub fn quit_on_broken_pipe(e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(i32::from(BROKEN_PIPE));
    }
}

/// A signal asking a run to stop: the run stops starting work, reports what it did, marked
/// interrupted, and exits [`INTERRUPTED`] or [`TERMINATED`].
#[derive(Default)]
pub struct Interruption {
    signal: std::sync::atomic::AtomicU8,
    notify: tokio::sync::Notify,
}

impl std::fmt::Debug for Interruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interruption").field("signal", &self.signal()).finish()
    }
}

impl Interruption {
    /// Records `signal` (the first one wins) and wakes every waiter.
    pub fn raise(&self, signal: &'static str) {
        let code = if signal == "SIGTERM" { TERMINATED } else { INTERRUPTED };
        let _ = self.signal.compare_exchange(
            0,
            code,
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
        );
        self.notify.notify_waiters();
    }

    /// The exit code of the signal received, if one was.
    pub fn code(&self) -> Option<u8> {
        match self.signal.load(std::sync::atomic::Ordering::SeqCst) {
            0 => None,
            c => Some(c),
        }
    }

    /// The signal's name, if one was received.
    pub fn signal(&self) -> Option<&'static str> {
        self.code().map(|c| if c == TERMINATED { "SIGTERM" } else { "SIGINT" })
    }

    /// Resolves once a signal has been received.
    pub async fn raised(&self) {
        loop {
            let notified = self.notify.notified();
            if self.code().is_some() {
                return;
            }
            notified.await;
        }
    }
}

/// An error in what the user gave (arguments, files, settings): exits with [`USAGE`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// An error of the user's input, for `?` in the commands.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// The exit code of a command's error: [`USAGE`] when it is about the input (a
/// [`UsageError`], a positioned input error, a simulator configuration that must not start),
/// [`RUNTIME`] otherwise.
pub fn code_of(e: &anyhow::Error) -> u8 {
    let about_input = e.chain().any(|c| {
        c.is::<UsageError>()
            || c.is::<crate::scenario::InputError>()
            || c.is::<crate::scenario::InputErrors>()
            || c.is::<crate::sim::config::ConfigError>()
    });
    if about_input { USAGE } else { RUNTIME }
}

/// The exit code of a session that could not open: a missing setting is the user's to fix
/// ([`USAGE`]), a target that does not answer or refuses is not ([`RUNTIME`]).
pub fn of_session_error(e: &crate::target::session::SessionError) -> u8 {
    use crate::target::session::SessionError;
    match e {
        SessionError::MissingEnv { .. } | SessionError::Profile(_) => USAGE,
        _ => RUNTIME,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_interruption_wakes_its_waiters_and_keeps_the_first_signal() {
        let i = std::sync::Arc::new(Interruption::default());
        let waiter = tokio::spawn({
            let i = i.clone();
            async move { i.raised().await }
        });
        tokio::task::yield_now().await;
        i.raise("SIGTERM");
        i.raise("SIGINT");
        waiter.await.unwrap();
        assert_eq!((i.code(), i.signal()), (Some(TERMINATED), Some("SIGTERM")));
        i.raised().await;
    }

    #[test]
    fn input_errors_are_usage_and_the_rest_runtime() {
        assert_eq!(code_of(&usage("--cases 0")), USAGE);
        let io = anyhow::Error::from(std::io::Error::other("disk full")).context("cannot write report.html");
        assert_eq!(code_of(&io), RUNTIME);
        let input = anyhow::Error::from(crate::scenario::InputError::new(std::path::Path::new("a.yaml"), "bad"));
        assert_eq!(code_of(&input.context("loading")), USAGE);
    }
}
