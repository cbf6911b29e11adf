"""One error tree: every exception class the packages define derives from the root in tickets."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from tickets import SheetdeskError

PACKAGES = ("tickets", "rules", "mailers", "sync", "sheets_templates")


def defined_exceptions() -> list[type[BaseException]]:
    found = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names = [package_name] + [module.name for module in
                                  pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")]
        for name in names:
            module = importlib.import_module(name)
            found += [value for value in vars(module).values() if inspect.isclass(value)
                      and issubclass(value, BaseException) and value.__module__ == name]
    return found


def test_every_error_the_packages_define_derives_from_the_one_root():
    errors = defined_exceptions()
    assert len(errors) >= 10  # the walk found the tree, not nothing
    assert [error.__qualname__ for error in errors if not issubclass(error, SheetdeskError)] == []


@pytest.mark.parametrize(
    "error, code",
    [("sync.errors:ConfigError", 2), ("sync.errors:AlreadyRunning", 3), ("mailers.errors:TransportError", 1),
     ("mailers.errors:AddressError", 2), ("tickets.values:CellValueError", 1)],
)
def test_each_error_carries_its_exit_code(error, code):
    module, name = error.split(":")
    assert getattr(importlib.import_module(module), name).exit_code == code
