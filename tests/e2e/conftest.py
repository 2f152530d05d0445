"""The end-to-end tests' shared fixtures: the browser the console tests drive."""

from tests.support.browser import browser, page

__all__ = ["browser", "page"]
