"""GX Data Docs without the internet: the scripts, styles and fonts its pages load, served locally.

GX's page templates load Bootstrap, jQuery, bootstrap-table, Font Awesome, Vega and a logo from
content delivery networks. Offline the results list never appears, and online every page view
tells those hosts that someone opened a page of partner data. So the files are vendored: taken
from the npm packages the pages name, at the versions they name, with each package's licence,
into `pipeline/validate/vendor/data-docs/<package>@<version>/`. `assets.json` there is the lock: which
page URL each file stands in for, its package and version, its SHA-256, and the tarball's
integrity as npm reported it. `python -m pipeline.validate.data_docs_assets refresh` rebuilds the folder
and the lock with `npm pack` (the only step that needs a network; run it when GX changes its
templates). Building the site never goes to the network: `install` copies the vendored files into
the site after checking them against the lock, and `rewrite_pages` points every page at them.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).parent / "vendor" / "data-docs"
LOCK = VENDOR / "assets.json"
#: Where the vendored files go inside the Data Docs site.
SITE_VENDOR = Path("static") / "vendor"
#: GX's logo, loaded from an S3 bucket; GX ships the same images in its own package, which the
#: site builder copies to `static/images/`.
GX_IMAGES_HOST = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
GX_IMAGES = {"logo-long.png": "logo-long.png", "full_logo_dark.png": "logo-long-vector.svg"}
LICENCE_NAMES = re.compile(r"^package/(LICEN[CS]E|COPYING)(\.[a-z]+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Wanted:
    """One URL a GX page loads, and where the same file is in an npm package."""

    url: str
    spec: str  # npm package@version (a range such as vega@5 is resolved and locked)
    file: str | None  # path inside the package; None: the package's `jsdelivr` entry (cdn @5)
    integrity: str | None = None  # the page's own SRI hash, checked against the npm file


#: Every external URL in GX 1.x's page templates (render/view/templates), by the package it names.
WANTED: tuple[Wanted, ...] = (
    Wanted("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",
           "bootstrap@4.3.1", "dist/css/bootstrap.min.css"),
    Wanted("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",
           "bootstrap@4.3.1", "dist/js/bootstrap.min.js",
           "sha384-JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM"),
    Wanted("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
           "bootstrap-table@1.19.1", "dist/bootstrap-table.min.css"),
    Wanted("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
           "bootstrap-table@1.19.1", "dist/bootstrap-table.min.js"),
    Wanted("https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
           "bootstrap-table@1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    Wanted("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
           "bootstrap-table@1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.css"),
    Wanted("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
           "bootstrap-table@1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    Wanted("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",
           "bootstrap-datepicker@1.9.0", "dist/css/bootstrap-datepicker.min.css"),
    Wanted("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",
           "bootstrap-datepicker@1.9.0", "dist/js/bootstrap-datepicker.min.js"),
    Wanted("https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
           "@forevolve/bootstrap-dark@1.1.0", "dist/css/bootstrap-prefers-dark.css"),
    Wanted("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",
           "@fortawesome/fontawesome-free@6.6.0", "css/all.min.css"),
    Wanted("https://code.jquery.com/jquery-3.7.1.min.js", "jquery@3.7.1", "dist/jquery.min.js"),
    Wanted("https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",
           "popper.js@1.12.9", "dist/umd/popper.min.js",
           "sha384-ApNbgh9B+Y1QKtv3Rn7W3mgPxhU9K/ScQsAP7hUibX39j7fakFPskvXusvfa0b4Q"),
    Wanted("https://cdn.jsdelivr.net/npm/vega@5", "vega@5", None),
    Wanted("https://cdn.jsdelivr.net/npm/vega-lite@5", "vega-lite@5", None),
    Wanted("https://cdn.jsdelivr.net/npm/vega-embed@6", "vega-embed@6", None),
)  # fmt: skip
#: Files a vendored stylesheet loads by a relative URL (Font Awesome's fonts). Only WOFF2: every
#: browser that runs the pages' scripts reads it, and the CSS lists it before the TTF fallback.
EXTRA = {"@fortawesome/fontawesome-free": re.compile(r"^package/webfonts/[\w-]+\.woff2$")}


class AssetError(RuntimeError):
    """The vendored assets are missing or do not match their lock."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_lock(vendor: Path = VENDOR) -> dict[str, Any]:
    return json.loads((vendor / LOCK.name).read_text(encoding="utf-8"))


def _url_key(url: str) -> str:
    return html.unescape(url).split("?", 1)[0]


# ------------------------------------------------------------------ building the site


def install(site: Path, vendor: Path = VENDOR) -> Path:
    """Copy the vendored files into `site/static/vendor/`, each checked against the lock."""
    lock = load_lock(vendor)
    target = site / SITE_VENDOR
    if target.exists():
        shutil.rmtree(target)
    for rel, digest in lock["files"].items():
        source = vendor / rel
        if not source.is_file() or _sha256(source) != digest:
            raise AssetError(
                f"{source}: missing or changed since {LOCK.name} was written; run "
                "`python -m pipeline.validate.data_docs_assets refresh` or restore the file from git"
            )
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    return target


#: A URL in an attribute (src, href) or a CSS url(...) that the browser would fetch by itself.
_LOADED = re.compile(
    r"""(?P<pre><(?:script|link|img|source|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["'])(?P<url>https?://[^"']+)"""
    r"""|(?P<css>url\(\s*['"]?)(?P<cssurl>https?://[^'")\s]+)""",
    re.IGNORECASE,
)
_NEWSLETTER = re.compile(r"<footer>\s*<p>[^<]*newsletter.*?</footer>", re.IGNORECASE | re.DOTALL)


#: What an unknown outside URL is replaced with: it loads nothing and names what was blocked.
BLOCKED = "about:blank#blocked:"


class AssetWarning(UserWarning):
    """A Data Docs page loads a URL that is not vendored (a newer GX template); it was blocked."""


def rewrite_page(text: str, page: Path, site: Path, lock: dict[str, Any]) -> tuple[str, list[str]]:
    """One page with every loaded URL pointing into the site, and the URLs it had to block.

    A URL that is not vendored (GX changed its templates) is replaced by `about:blank`, so no
    request leaves the machine even then; the caller warns, and `refresh` should be run.
    """
    by_url = {a["url"]: a["path"] for a in lock["assets"]}
    here = page.parent

    def local(url: str) -> str | None:
        key = _url_key(url)
        if key in by_url:
            rel = site / SITE_VENDOR / by_url[key]
        elif key.startswith(GX_IMAGES_HOST) and key[len(GX_IMAGES_HOST) :] in GX_IMAGES:
            rel = site / "static" / "images" / GX_IMAGES[key[len(GX_IMAGES_HOST) :]]
        else:
            return None
        return Path(os.path.relpath(rel, here)).as_posix()

    blocked: list[str] = []

    def swap(m: re.Match[str]) -> str:
        url = m.group("url") or m.group("cssurl")
        new = local(url)
        if new is None:
            blocked.append(url)
            new = BLOCKED + html.escape(urllib.parse.urlsplit(html.unescape(url)).netloc)
        return (m.group("pre") or m.group("css")) + new

    text = _LOADED.sub(swap, text)
    # The pages' SRI hashes name CDN files (the same bytes: `refresh` checks); from file:// the
    # crossorigin attribute would block the script, and install() has checked every file.
    text = re.sub(r'\s+integrity="sha\d+-[^"]*"', "", text)
    text = re.sub(r'\s+crossorigin="anonymous"', "", text)
    return _NEWSLETTER.sub("", text), blocked


def rewrite_pages(site: Path) -> list[Path]:
    """Rewrite every HTML page (and GX's stylesheets) of the site; return the pages. Warns
    (`AssetWarning`) naming any outside URL that had to be blocked."""
    lock = load_lock()
    pages = sorted(p for p in site.rglob("*.html") if SITE_VENDOR.as_posix() not in p.as_posix())
    styles = site / "static" / "styles"
    sheets = sorted(styles.glob("*.css")) if styles.is_dir() else []
    blocked: dict[str, list[str]] = {}
    for path in [*pages, *sheets]:
        text, urls = rewrite_page(path.read_text(encoding="utf-8"), path, site, lock)
        path.write_text(text, encoding="utf-8")
        for url in urls:
            blocked.setdefault(url, []).append(str(path.relative_to(site)))
    if blocked:
        warnings.warn(
            AssetWarning(
                "Data Docs pages load outside URLs that are not vendored, so they were blocked "
                "(the pages may look incomplete): "
                + "; ".join(f"{u} in {', '.join(p[:3])}" for u, p in sorted(blocked.items()))
                + ". Add them to WANTED in pipeline/validate/data_docs_assets.py and run "
                "`python -m pipeline.validate.data_docs_assets refresh`."
            ),
            stacklevel=2,
        )
    return pages


# ------------------------------------------------------------------ refreshing the vendor folder


def _npm_pack(spec: str, into: Path) -> tuple[Path, dict[str, Any]]:
    done = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    info = json.loads(done.stdout)[0]
    return into / info["filename"], info


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    f = tar.extractfile(f"package/{name}")
    if f is None:
        raise AssetError(f"package/{name} is not a file")
    return f.read()


def refresh() -> dict[str, Any]:
    """Fetch the packages with `npm pack`, write the vendored files, licences and the lock."""
    tmp = Path(tempfile.mkdtemp(prefix="svf-npm-"))
    try:
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        VENDOR.mkdir(parents=True)
        packs: dict[str, dict[str, Any]] = {}
        assets: list[dict[str, str]] = []
        files: dict[str, str] = {}

        def put(folder: str, name: str, data: bytes) -> str:
            rel = f"{folder}/{name}"
            dest = VENDOR / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            files[rel] = hashlib.sha256(data).hexdigest()
            return rel

        for w in WANTED:
            if w.spec not in packs:
                tgz, info = _npm_pack(w.spec, tmp)
                with tarfile.open(tgz) as tar:
                    meta = json.loads(_member(tar, "package.json"))
                    folder = f"{meta['name']}@{meta['version']}"
                    licences = [
                        put(folder, m.name[len("package/") :], _member(tar, m.name[8:]))
                        for m in tar.getmembers()
                        if LICENCE_NAMES.match(m.name)
                    ]
                    extra = EXTRA.get(meta["name"])
                    for m in tar.getmembers() if extra else []:
                        if extra and extra.match(m.name):
                            put(folder, m.name[8:], _member(tar, m.name[8:]))
                packs[w.spec] = {
                    "tgz": tgz,
                    "folder": folder,
                    "meta": meta,
                    "integrity": info["integrity"],
                    "licences": licences,
                }
            p = packs[w.spec]
            name = w.file or p["meta"]["jsdelivr"]
            with tarfile.open(p["tgz"]) as tar:
                data = _member(tar, name)
            if w.integrity:
                algo, expected = w.integrity.split("-", 1)
                got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
                if got != expected:
                    raise AssetError(f"{w.spec} {name} is not the file {w.url} serves")
            assets.append({"url": w.url, "package": p["meta"]["name"],
                           "version": p["meta"]["version"],
                           "path": put(p["folder"], name, data)})  # fmt: skip
        packages = {}
        for p in packs.values():
            meta = p["meta"]
            if not p["licences"]:
                # Some tarballs ship no licence file: record what package.json declares.
                repo = meta.get("repository")
                where = meta.get("homepage") or (
                    repo.get("url") if isinstance(repo, dict) else repo
                )
                note = (
                    f"The npm package {meta['name']}@{meta['version']} ships no licence file. "
                    f"Its package.json declares the licence `{meta.get('license')}` and the "
                    f"author {json.dumps(meta.get('author'))}; source: {where}.\n"
                )
                p["licences"] = [put(p["folder"], "LICENSE-NOTE.md", note.encode())]
            packages[p["folder"]] = {
                "license": meta.get("license"),
                "licence_files": p["licences"],
                "tarball_integrity": p["integrity"],
            }
        lock = {
            "about": "Written by `python -m pipeline.validate.data_docs_assets refresh` (npm pack); "
            "see docs/validation.md, 'Data Docs offline'.",
            "packages": packages,
            "assets": assets,
            "files": dict(sorted(files.items())),
        }
        LOCK.write_text(json.dumps(lock, indent=1) + "\n", encoding="utf-8")
        return lock
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    if sys.argv[1:] != ["refresh"]:
        sys.exit("usage: python -m pipeline.validate.data_docs_assets refresh")
    done = refresh()
    print(f"vendored {len(done['files'])} files from {len(done['packages'])} packages to {VENDOR}")
