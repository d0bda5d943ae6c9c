"""The export ZIP: a member deflated beside an open one reads back as any other."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from trackguard.privacy.export.archive import ExportArchive


def test_a_spooled_member_written_beside_an_open_one_reads_back_whole(tmp_path: Path) -> None:
    beside = b"".join(f"<trkpt n={n}/>\n".encode() for n in range(50_000)) + os.urandom(70_000)
    with ExportArchive(tmp_path / "exports") as archive:
        with (
            archive.zip.open("positions.csv", "w", force_zip64=True) as open_member,
            archive.deflated_spool("tracks.gpx") as spool,
        ):
            for start in range(0, len(beside), 65_536):
                open_member.write(b"csv row\n")
                spool.write(beside[start : start + 65_536])
        archive.add_deflated("tracks.gpx", spool)
        archive.zip.writestr("index.html", "<html></html>")
        archive.seal()
        path = archive.publish()
        assert not any(archive.work.iterdir())  # the spool is gone once copied in
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None  # every CRC matches
        assert zf.namelist() == ["positions.csv", "tracks.gpx", "index.html"]
        assert zf.read("tracks.gpx") == beside
        info = zf.getinfo("tracks.gpx")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < len(beside)
        assert (info.external_attr >> 16) & 0o777 == 0o600


def test_a_spool_is_not_added_while_another_member_is_open(tmp_path: Path) -> None:
    with ExportArchive(tmp_path / "exports") as archive:
        with archive.deflated_spool("tracks.gpx") as spool:
            spool.write(b"<gpx/>")
        with archive.zip.open("positions.csv", "w"), pytest.raises(ValueError, match="open"):
            archive.add_deflated("tracks.gpx", spool)
