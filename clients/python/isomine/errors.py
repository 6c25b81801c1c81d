"""The client's own exceptions. Every error the database raises reaches you as one of these, carrying
isomine's message (the server's primary message: no driver class name, no PL/pgSQL context) and its
SQLSTATE; the driver's exception stays attached as `__cause__` for anyone who needs it.

    IsomineError                  the base: .message, .sqlstate
    ├── DriverMissing (ImportError)       no PostgreSQL driver installed: says what to install
    ├── ConnectionFailed (ConnectionError) the database cannot be reached (the DSN's password is never shown)
    ├── StepExists                        a series step submitted twice (a step is never replaced)
    ├── InputTooLarge                     an upload above isomine.max_input_bytes
    ├── InvalidInput (ValueError)         arrays, names, options or steps the database refuses
    ├── PermissionDenied (PermissionError) the role may not call isomine's functions: GRANT isomine_client TO it
    ├── SchemaMissing                     the database has no isomine schema: run `isomine migrate`
    └── MonitorError                      what a Monitor sent was refused (raised from the next observe)
"""
import re

__all__ = ["IsomineError", "DriverMissing", "ConnectionFailed", "StepExists", "InputTooLarge", "InvalidInput",
           "PermissionDenied", "SchemaMissing", "MonitorError", "from_driver"]


class IsomineError(Exception):
    """Something isomine or its database refused or could not do. `message` is isomine's message and
    `sqlstate` the database's error code (None when the error did not come from the server)."""

    def __init__(self, message, sqlstate=None):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate


class DriverMissing(IsomineError, ImportError):
    """No PostgreSQL driver is installed (psycopg 3 or psycopg2)."""


class ConnectionFailed(IsomineError, ConnectionError):
    """The database could not be reached, or the connection was lost during a call."""


class StepExists(IsomineError):
    """The step was already submitted for the series: a series is a record of the run, and a step is never
    replaced. Submit it under another step or series."""


class InputTooLarge(IsomineError):
    """An upload is above the database's `isomine.max_input_bytes`."""


class InvalidInput(IsomineError, ValueError):
    """The database refused the arrays, the series name, the step or an option (the message names it)."""


class PermissionDenied(IsomineError, PermissionError):
    """The database role may not use isomine's functions (an administrator grants them with
    `GRANT isomine_client TO role`)."""


class SchemaMissing(IsomineError):
    """The database has no isomine schema, or an older one without the function called."""


class MonitorError(IsomineError, RuntimeError):
    """The database refused what the monitor sent (the message is isomine's; `hint` the server's hint, if any)."""

    def __init__(self, message, sqlstate=None, hint=None):
        super().__init__(message, sqlstate)
        self.hint = hint


def hint(error):
    """The server's HINT of a driver error (psycopg and psycopg2 both give it as diag.message_hint), or None."""
    diag = getattr(error, "diag", None)
    return getattr(diag, "message_hint", None) if diag is not None else None


def sqlstate(error):
    """The SQLSTATE of a driver error raised by the server, or None (a connection error)."""
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)


def _primary(error):
    # The server's primary message; the driver's text adds DETAIL, HINT and CONTEXT lines (the PL/pgSQL
    # call stack), which say nothing to a user.
    diag = getattr(error, "diag", None)
    message = getattr(diag, "message_primary", None) if diag is not None else None
    if not message:
        text = str(error).strip()
        message = text.splitlines()[0] if text else type(error).__name__
    return message.strip()


def _without_secrets(text, dsn):
    # A driver may echo the connection string (psycopg 3 does for some parse errors): hide its password.
    if dsn:
        for secret in re.findall(r"(?:password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", dsn) + re.findall(r"://[^:/@?]*:([^@/?]+)@", dsn):
            if secret:
                text = text.replace(secret, "***")
    return text


def from_driver(error, dsn=None, connecting=False):
    """The client's exception for a driver's exception (re-raise it `from` the original)."""
    state = sqlstate(error)
    if state is None:
        # No SQLSTATE: the server never answered (refused, unreachable, lost midway).
        detail = _without_secrets(str(error).strip().replace("\n", " "), dsn)
        what = "cannot connect to the database" if connecting else "lost the connection to the database"
        return ConnectionFailed(f"{what}: {detail}" if detail else what)
    message = _without_secrets(_primary(error), dsn)
    if state == "23505":
        return StepExists(message, state)
    if state == "54000":
        return InputTooLarge(message, state)
    if state == "42501":
        return PermissionDenied(f"{message} (an administrator gives a role isomine's client functions with "
                                f"GRANT isomine_client TO <role>)", state)
    if state in ("3F000", "42883", "42P01"):
        return SchemaMissing(f"{message} (is the database migrated? run `isomine migrate` against it)", state)
    if state.startswith(("22", "23")) or state == "P0001":
        return InvalidInput(message, state)
    if state.startswith(("08", "57P")):
        return ConnectionFailed(f"lost the connection to the database: {message}", state)
    return IsomineError(message, state)
