"""Line-delimited JSON protocol between the inferplan orchestrator and a GPU worker.

Parent -> worker (one JSON object per line on stdin):
  {"type": "run", "case_id": "...", "op": "gemm", "params": {...}, "options": {...}}
  {"type": "shutdown"}
Worker -> parent (one JSON object per line on stdout; nothing else is printed there):
  {"type": "hello", ...environment...}
  {"type": "result", "case_id": "...", "latency_ms": ..., ...}
  {"type": "error", "case_id": "...", "error_type": "...", "message": "...", "traceback": "...",
   "fatal": bool, "classification": "..."}
This module imports no torch, so the protocol is testable on a machine without a GPU.
"""

import json
import sys

PROTOCOL_VERSION = 1


class ProtocolError(ValueError):
    """A request line that is not a valid message."""


class CaseError(ValueError):
    """Malformed case parameters: the parent sent something wrong (a collector bug)."""


class UnsupportedCase(ValueError):
    """A case this backend cannot run (recorded as unsupported_config, never retried)."""


def parse_request(line):
    """Parse one request line into a dict with a known 'type'; raise ProtocolError otherwise."""
    try:
        message = json.loads(line)
    except json.JSONDecodeError as error:
        raise ProtocolError(f"request is not JSON: {error.msg}") from None
    if not isinstance(message, dict):
        raise ProtocolError("request must be a JSON object")
    kind = message.get("type")
    if kind == "shutdown":
        return message
    if kind != "run":
        raise ProtocolError(f"unknown request type {kind!r}; expected 'run' or 'shutdown'")
    for field, expected in (("case_id", str), ("op", str), ("params", dict)):
        if not isinstance(message.get(field), expected):
            raise ProtocolError(f"run request field {field!r} must be a {expected.__name__}")
    options = message.get("options", {})
    if not isinstance(options, dict):
        raise ProtocolError("run request field 'options' must be an object")
    message["options"] = options
    return message


# Substrings of CUDA / cuBLAS errors after which the CUDA context is unusable: the worker must exit.
_FATAL_MARKERS = (
    "illegal memory access",
    "unspecified launch failure",
    "device-side assert",
    "CUBLAS_STATUS_EXECUTION_FAILED",
    "CUBLAS_STATUS_INTERNAL_ERROR",
    "CUBLAS_STATUS_ALLOC_FAILED",
    "misaligned address",
    "an illegal instruction",
    "CUDA error: unknown error",
    "uncorrectable ECC",
    "CUDNN_STATUS_EXECUTION_FAILED",
)


def classify_exception(error):
    """Return (classification, fatal) for an exception raised while running a case."""
    message = str(error)
    name = type(error).__name__
    if isinstance(error, UnsupportedCase):
        return "unsupported_config", False
    if "out of memory" in message.lower() or name == "OutOfMemoryError":
        return "resource_issue", False
    if any(marker in message for marker in _FATAL_MARKERS):
        return "framework_bug", True
    if isinstance(error, (KeyError, TypeError, AttributeError, NameError, ProtocolError, CaseError)):
        return "collector_bug", False
    if isinstance(error, (NotImplementedError,)) or "not supported" in message.lower():
        return "unsupported_config", False
    return "framework_bug", False


def error_message(case_id, error, tb_text):
    classification, fatal = classify_exception(error)
    return {
        "type": "error",
        "case_id": case_id,
        "error_type": type(error).__name__,
        "message": str(error).strip().splitlines()[0][:500] if str(error).strip() else type(error).__name__,
        "traceback": tb_text[-4000:],
        "fatal": fatal,
        "classification": classification,
    }


def emit(message, stream=None):
    """Write one message as one line and flush (the parent reads line by line)."""
    out = stream if stream is not None else sys.stdout
    out.write(json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n")
    out.flush()
