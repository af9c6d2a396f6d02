"""Finding USB sticks to export to (Linux mount table; Windows uses GetDriveTypeW)."""

from pathlib import Path

from app.sync.drives import parse_mounts, removable_drives

MOUNTS = """\
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
/dev/sdb1 /media/hang/KINGSTON vfat rw,nosuid,nodev 0 0
/dev/sdc1 /run/media/nam/USB\\040CUA\\040NAM exfat rw 0 0
tmpfs /run/user/1000 tmpfs rw 0 0
"""


def test_mount_points_of_sticks_are_found():
    found = parse_mounts(MOUNTS)
    assert [d.path for d in found] == [Path("/media/hang/KINGSTON"), Path("/run/media/nam/USB CUA NAM")]
    assert found[0].label.startswith("KINGSTON")


def test_removable_drives_never_fails():
    assert isinstance(removable_drives(), list)


def test_windows_drive_letters_of_removable_type(monkeypatch):
    """The Windows branch, against a stand-in for kernel32 (the same calls, arguments and return values
    as the Win32 API: GetLogicalDrives bit mask, GetDriveTypeW 2 = removable, the volume label written
    into the caller's buffer)."""
    import ctypes

    from app.sync import drives

    types = {"C:\\": 3, "E:\\": 2, "F:\\": 5, "G:\\": 2}  # fixed, removable, CD-ROM, removable
    labels = {"E:\\": "KINGSTON", "G:\\": ""}
    calls = []

    class Kernel32:
        def GetLogicalDrives(self):
            return sum(1 << (ord(root[0]) - ord("A")) for root in types)

        def GetDriveTypeW(self, root):
            calls.append(root.value)
            return types[root.value]

        def GetVolumeInformationW(self, root, buffer, size, *rest):
            assert size == 261 and len(rest) == 5
            buffer.value = labels[root.value]
            return 1

    class WinDLL:
        kernel32 = Kernel32()

    monkeypatch.setattr(ctypes, "windll", WinDLL(), raising=False)
    found = drives._windows()
    assert [(str(d.path), d.label) for d in found] == [("E:\\", "KINGSTON (E:)"), ("G:\\", "USB (G:)")]
    assert calls == ["C:\\", "E:\\", "F:\\", "G:\\"]
