"""Developer aid: vendor the portal's browser libraries from the npm registry into the package.

Usage: python scripts/vendor_assets.py

The portal loads no script or stylesheet from a CDN: a visitor's IP address would
go to a third party the privacy policy does not name, and the CSP allows our own
origin only. So each library is fetched once, here, with `npm pack` (which uses
npm's own registry configuration, proxies and CA settings), its tarball checked
against the integrity hash pinned below, and the files the portal needs copied
into `src/trackguard/web/static/vendor/<name>/` with a `VENDORED.json` that says
what was copied from where. A changed version or hash is a reviewed code change.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

VENDOR_DIR = (
    Path(__file__).resolve().parents[1] / "src" / "trackguard" / "web" / "static" / "vendor"
)


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's Subresource-Integrity string of the tarball (sha512-...)
    # Paths inside the package (below `package/`) -> where they go, relative to the target dir.
    files: dict[str, str]
    # Directories inside the package whose files are copied as they are.
    directories: dict[str, str]


LEAFLET = Package(
    name="leaflet",
    version="1.9.4",
    integrity=(
        "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
    ),
    files={
        "dist/leaflet.js": "leaflet.js",
        "dist/leaflet.css": "leaflet.css",
        "LICENSE": "LICENSE",
    },
    directories={"dist/images": "images"},
)
PACKAGES = (LEAFLET,)


def integrity_of(data: bytes, algorithm: str = "sha512") -> str:
    digest = hashlib.new(algorithm, data).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode()}"


def fetch(package: Package, workdir: Path) -> bytes:
    """The package's tarball as npm's registry serves it (via `npm pack`)."""
    spec = f"{package.name}@{package.version}"
    subprocess.run(
        ["npm", "pack", spec, "--pack-destination", str(workdir), "--silent"],
        check=True,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    tarball = workdir / f"{package.name}-{package.version}.tgz"
    return tarball.read_bytes()


def verify(package: Package, tarball: bytes) -> None:
    algorithm = package.integrity.split("-", 1)[0]
    found = integrity_of(tarball, algorithm)
    if found != package.integrity:
        raise SystemExit(
            f"{package.name}@{package.version}: tarball integrity {found} "
            f"does not match the pinned {package.integrity}"
        )


def extract(package: Package, tarball: bytes, target: Path) -> list[str]:
    """Copy the wanted members into a fresh `target`; returns the files written."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    written: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "package.tgz"
        archive.write_bytes(tarball)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile():
                    continue
                inner = PurePosixPath(member.name)
                if inner.parts[0] != "package" or ".." in inner.parts:
                    continue
                relative = str(PurePosixPath(*inner.parts[1:]))
                destination = _destination(package, relative)
                if destination is None:
                    continue
                source = tar.extractfile(member)
                assert source is not None
                out = target / destination
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(source.read())
                written.append(destination)
    missing = set(package.files.values()) - set(written)
    if missing:
        raise SystemExit(f"{package.name}: the tarball lacks {', '.join(sorted(missing))}")
    return sorted(written)


def _destination(package: Package, relative: str) -> str | None:
    if relative in package.files:
        return package.files[relative]
    for directory, into in package.directories.items():
        prefix = directory.rstrip("/") + "/"
        if relative.startswith(prefix) and "/" not in relative[len(prefix) :]:
            return f"{into}/{relative[len(prefix) :]}"
    return None


def vendor(package: Package) -> Path:
    target = VENDOR_DIR / package.name
    with tempfile.TemporaryDirectory() as workdir:
        tarball = fetch(package, Path(workdir))
    verify(package, tarball)
    written = extract(package, tarball, target)
    record = {
        "name": package.name,
        "version": package.version,
        "integrity": package.integrity,
        "source": f"npm registry: {package.name}@{package.version}",
        "files": {name: integrity_of((target / name).read_bytes(), "sha384") for name in written},
    }
    (target / "VENDORED.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return target


def main() -> None:
    for package in PACKAGES:
        target = vendor(package)
        print(f"{package.name}@{package.version} -> {target}")


if __name__ == "__main__":
    main()
