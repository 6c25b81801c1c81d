// The process-wide stop request: SIGTERM or SIGINT, seen by every thread of a worker or a job process.
import CProcess

/// Set once SIGTERM or SIGINT arrives. A C handler sets the flag (installed with `sigaction`, so there
/// is no moment when a stop signal is ignored and lost, as there was between `signal(SIG_IGN)` and a
/// dispatch source's registration); the job process is spawned with both signals blocked and
/// unblocks them here, so a stop sent while it starts is delivered instead of killing it.
public final class ShutdownFlag: Sendable {
    private init() {}

    public var isSet: Bool { isomine_stop_requested() != 0 }

    /// Installs the handler (idempotent: every flag reads the one process-wide signal state).
    public static func installed() -> ShutdownFlag {
        _ = isomine_install_stop_handler()
        return ShutdownFlag()
    }
}
