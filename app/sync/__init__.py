"""Signed, encrypted bundles: export to a USB stick, verify, merge without loss, relay upward.

Qt-free. The byte layout, what is signed and the merge rules are specified in docs/sync-bundle.md.

- ``keys``: this machine's Ed25519 signing and X25519 encryption keys, fingerprints, public-key files.
- ``container``: the file format (strict framing, strict JSON, DSSE-style signatures, HPKE encryption).
- ``registry``: machines registered with this one (laptops below, the office above), revocation, re-keying.
- ``exporter`` / ``importer``: bundles and receipts; ``merge``: applying remote changes field by field.
"""

from app.sync.errors import SyncError

__all__ = ["SyncError"]
