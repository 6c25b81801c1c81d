"""The PostgreSQL driver the client uses: psycopg 3 when installed, else psycopg2 (Debian's
python3-psycopg2). Imported on first use, so `import isomine` (and the signals) work without one."""
from .errors import DriverMissing, from_driver, hint, sqlstate  # noqa: F401  (hint, sqlstate: the monitor's)


def _module():
    try:  # psycopg 3
        import psycopg

        return psycopg, False
    except ImportError:
        try:
            import psycopg2

            return psycopg2, True
        except ImportError as e:
            raise DriverMissing("isomine needs a PostgreSQL driver to talk to the database and found neither psycopg "
                                "nor psycopg2: pip install 'psycopg[binary]' (or pip install psycopg2-binary, or "
                                "apt-get install python3-psycopg2)") from e


def connect(dsn, **kwargs):
    """A new connection to `dsn` (libpq keywords such as connect_timeout pass through). A failure raises
    ConnectionFailed (or, for a server's refusal such as a wrong password, the matching IsomineError)."""
    module, _ = _module()
    try:
        return module.connect(dsn, **kwargs)
    except module.Error as e:
        raise from_driver(e, dsn, connecting=True) from e


def is_driver_error(error):
    """Whether `error` is the driver's own (psycopg's or psycopg2's `Error`)."""
    module, _ = _module()
    return isinstance(error, module.Error)


def binary(data):
    """`data` bound as bytea."""
    module, old = _module()
    return module.Binary(data) if old else data
