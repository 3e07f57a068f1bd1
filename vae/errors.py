"""User-facing errors of the model side. Each message is one line that names the file and the problem."""


class VaeError(Exception):
    """Base class: the CLI prints the message as one line and exits non-zero."""


class IdxError(VaeError):
    """A malformed IDX file (truncated, wrong magic, inconsistent sizes)."""


class DatasetError(VaeError):
    """A data set that cannot be found, downloaded or verified."""


class BundleError(VaeError):
    """A model bundle that is missing, corrupt or inconsistent."""


class TfjsError(VaeError):
    """A TensorFlow.js model that cannot be imported (unsupported op, bad weights)."""


class DecodeError(VaeError):
    """Latents that cannot be decoded (wrong width, NaN/Inf)."""
