"""sqlite_utils, imported without pandas and numpy.

sqlite_utils imports both at import time when they are installed (pandas comes with the dev tools, numpy with
several dependencies), only to map their scalar types to column types; the archive never stores such values.
Importing pandas cost about 0.4 s of every ``hromada`` start (benchmarks/startup.py).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

OPTIONAL_HEAVY_MODULES = ("pandas", "numpy")


def import_sqlite_utils() -> ModuleType:
    """The sqlite_utils module; when it is first imported here, pandas and numpy (if not loaded yet) are hidden
    from it, so it skips its optional type mappings. They stay importable for everyone else afterwards."""
    if "sqlite_utils" in sys.modules:
        return sys.modules["sqlite_utils"]
    hidden = [name for name in OPTIONAL_HEAVY_MODULES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # an import of a module set to None raises ImportError
    try:
        return importlib.import_module("sqlite_utils")
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
