"""Access and portability exports: one ZIP per request, streamed, explained, recorded.

`write_export(runtime, customer_id, kind=..., lang=..., request_id=...)` writes
`index.html` (the subject's language, from the policy), `data.json` (every record
about the subject, decrypted), `positions.csv`, `tracks.gpx` (one track per trip)
and `files/` (recordings and other blobs) under the settings' exports directory.
"""

from trackguard.privacy.export.export import (
    EXPORT_KINDS,
    ExportKind,
    ExportResult,
    portable,
    write_export,
)

__all__ = ["EXPORT_KINDS", "ExportKind", "ExportResult", "portable", "write_export"]
