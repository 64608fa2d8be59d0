"""Fetch the plotly.js bundle the HTML report inlines, and check it against npm's checksum.

The report inlines plotly.js once so it works offline. plotly.py's own bundle is the full
plotly.js (4.8 MB); the reports draw only bars, scatter and heatmaps, so they ship the
``plotly.js-cartesian-dist-min`` build (1.4 MB, MIT licence) instead. Run this to re-create
``audit/report/assets/plotly-cartesian.min.js`` byte for byte (or to move to a new version:
change VERSION and INTEGRITY, and PLOTLY_JS_VERSION in audit/report/build.py).

    python scripts/fetch_plotly_js.py
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "plotly.js-cartesian-dist-min"
VERSION = "3.7.0"
# npm's "integrity" field for the tarball (npm view plotly.js-cartesian-dist-min@3.7.0 dist)
INTEGRITY = "sha512-kfQjcAXXByRlskP8JsrlGYRPOvB+kOehZk/qBNewgr9SOMEnBN5nwEnUGOAQ0EEgYdQX51z3VZ81aBnDgSr9Bw=="
URL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
ASSETS = Path(__file__).resolve().parent.parent / "audit" / "report" / "assets"


def main() -> None:
    with urllib.request.urlopen(URL, timeout=60) as response:
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        raise SystemExit(f"Checksum mismatch for {URL}: {digest}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, target in (
            ("package/plotly-cartesian.min.js", "plotly-cartesian.min.js"),
            ("package/LICENSE", "plotly-LICENSE.txt"),
        ):
            extracted = tar.extractfile(member)
            assert extracted is not None
            (ASSETS / target).write_bytes(extracted.read())
            print(f"wrote {ASSETS / target}")


if __name__ == "__main__":
    main()
