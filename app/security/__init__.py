"""Secrets at rest: the passphrase, the key derived from it, and the random data key it unlocks.

No Qt, no SQL: storage, sync and the GUI build on this package (see docs/encryption.md).
"""
