"""The PostgreSQL driver the client uses: psycopg 3 when installed, else psycopg2 (Debian's
python3-psycopg2). Imported on first use, so `import isomine` (and the signals) work without one."""


def _module():
    try:  # psycopg 3
        import psycopg

        return psycopg, False
    except ImportError:
        try:
            import psycopg2

            return psycopg2, True
        except ImportError as e:
            raise ImportError("isomine needs a PostgreSQL driver to talk to the database: "
                              "pip install 'psycopg[binary]' (or psycopg2-binary), or apt-get install python3-psycopg2") from e


def connect(dsn, **kwargs):
    """A new connection to `dsn` (libpq keywords such as connect_timeout pass through)."""
    module, _ = _module()
    return module.connect(dsn, **kwargs)


def binary(data):
    """`data` bound as bytea."""
    module, old = _module()
    return module.Binary(data) if old else data


def sqlstate(error):
    """The SQLSTATE of a driver error raised by the server, or None (a connection error)."""
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
