"""The vendored Data Docs assets: complete, licensed, matching their lock, and used by the pages."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from pipeline.validate import data_docs_assets as assets


def test_lock_lists_every_url_gx_templates_load_and_every_file_matches() -> None:
    import great_expectations

    lock = assets.load_lock()
    vendored = {a["url"] for a in lock["assets"]}
    view = Path(great_expectations.__file__).parent / "render" / "view"
    loaded = set()
    for f in [*view.glob("templates/*.j2"), *view.glob("static/styles/*.css")]:
        text = f.read_text(encoding="utf-8")
        loaded |= {m.group("url") or m.group("cssurl") for m in assets._LOADED.finditer(text)}
    # GX's logo comes from its S3 bucket through a Jinja expression; it is mapped to GX's own copy.
    loaded = {u for u in loaded if not u.startswith(assets.GX_IMAGES_HOST)}
    assert loaded and loaded <= vendored, f"not vendored: {sorted(loaded - vendored)}"
    for rel, digest in lock["files"].items():
        assert hashlib.sha256((assets.VENDOR / rel).read_bytes()).hexdigest() == digest, rel
    for folder, package in lock["packages"].items():
        assert package["license"], folder
        assert package["licence_files"] and all(
            (assets.VENDOR / f).is_file() for f in package["licence_files"]
        ), folder


def test_pages_point_at_local_copies_and_unknown_urls_are_blocked(tmp_path: Path) -> None:
    site = tmp_path / "gx"
    page = site / "validations" / "returns" / "c" / "t" / "returns.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
        'integrity="sha384-abc" crossorigin="anonymous"></script>\n'
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/vega@5">\n'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png'
        '?d=1&amp;s=2">\n'
        '<script src="https://cdn.example.org/new.js"></script>\n'
        "<style>.x { background: url('https://cdn.example.org/bg.png') }</style>\n"
        '<a href="https://greatexpectations.io">GX</a>\n',
        encoding="utf-8",
    )
    with pytest.warns(assets.AssetWarning, match="cdn.example.org/new.js"):
        assets.rewrite_pages(site)
    text = page.read_text(encoding="utf-8")
    up = "../../../../"
    assert f'src="{up}static/vendor/bootstrap@4.3.1/dist/js/bootstrap.min.js"' in text
    assert "integrity=" not in text and "crossorigin" not in text
    vega = next(a["path"] for a in assets.load_lock()["assets"] if a["url"].endswith("vega@5"))
    assert f'href="{up}static/vendor/{vega}"' in text
    assert f'src="{up}static/images/logo-long.png"' in text
    assert 'src="about:blank#blocked:cdn.example.org"' in text
    assert "url('about:blank#blocked:cdn.example.org')" in text
    # Only what a page loads by itself is rewritten; a link a reader may follow stays.
    assert not re.search(r"""(src=|url\()["']?https?:""", text)
    assert '<a href="https://greatexpectations.io">' in text


def test_install_refuses_a_changed_vendored_file(tmp_path: Path) -> None:
    # A copy of the vendor folder with one file altered stands for a corrupted checkout.
    import shutil

    copy = tmp_path / "vendor"
    shutil.copytree(assets.VENDOR, copy)
    target = next(p for p in copy.rglob("*.min.js"))
    target.write_bytes(target.read_bytes() + b"\n")
    with pytest.raises(assets.AssetError, match="changed since assets.json"):
        assets.install(tmp_path / "site", copy)
    assets.install(tmp_path / "site")  # the real folder matches its lock
