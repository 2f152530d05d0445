"""yuqing's test suite: a package, so its modules import each other by their full name
(`tests.support.…`) and mypy checks it under the same settings as the code."""
