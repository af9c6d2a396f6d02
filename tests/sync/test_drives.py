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
