"""The isomine client's old single-file name, kept so scripts written against it still run:
`import isomine_client` is `isomine.client` (submit, series, metrics, job, npy_bytes)."""
from isomine.client import *  # noqa: F401,F403
from isomine.client import OPTIONS, npy_bytes  # noqa: F401
