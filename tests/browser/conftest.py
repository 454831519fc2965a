"""The browser test's server: a base URL on loopback serving the pages of the real checkout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from page_app import serving


@pytest.fixture(scope="session")
def base_url(built_project) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The base URL of a server on 127.0.0.1 with the pages of the built checkout."""
    with serving(built_project.project, built_project.store) as url:
        yield url
