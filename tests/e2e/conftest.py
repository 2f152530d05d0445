"""The end-to-end tests' shared fixtures: the browser the console tests drive and the office
whose console they open."""

from tests.support.browser import browser, page
from tests.support.web import console_office

__all__ = ["browser", "console_office", "page"]
