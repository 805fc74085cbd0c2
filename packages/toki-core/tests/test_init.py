"""``import toki``: the lazy re-export table."""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, cast

import pytest
import toki

BACKENDS = cast(dict[str, tuple[str, str, str]], toki.__dict__["_BACKENDS"])
CORE = cast(dict[str, str], toki.__dict__["_CORE"])


@pytest.mark.parametrize("name", toki.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(toki, name)
    assert value is not None
    module = importlib.import_module(CORE[name]) if name in CORE else None
    if module is not None:
        assert value is getattr(module, name)
    assert name in toki.__dict__  # cached: later lookups skip __getattr__


def test_all_is_the_core_table_and_nothing_unknown() -> None:
    assert set(toki.__all__) == set(CORE)
    assert len(toki.__all__) == len(set(toki.__all__))
    # Backends stay out of __all__ (a star import must not need them) but are listed by dir().
    assert set(BACKENDS) <= set(dir(toki))


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_each_backend_resolves_when_installed_and_names_its_package_when_not(name: str) -> None:
    package, distribution, _ = BACKENDS[name]
    if importlib.util.find_spec(package) is not None:
        value = getattr(toki, name)
        assert isinstance(value, type) and value.__name__ == name
    else:
        with pytest.raises(ImportError, match=re.escape(distribution)):
            getattr(toki, name)


def test_every_public_name_is_visible_to_type_checkers() -> None:
    # The TYPE_CHECKING block re-exports each name ("import X as X"); a name missing there
    # would be Unknown to pyright although it works at run time.
    source = Path(toki.__file__).read_text(encoding="utf-8")
    block = source[source.index("if TYPE_CHECKING:") :]
    for name in toki.__all__:
        assert re.search(rf"\bimport {name} as {name}\b", block), name


def test_dir_lists_the_public_names() -> None:
    assert set(toki.__all__) <= set(dir(toki))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        _ = toki.NoSuchThing  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    assert not hasattr(toki, "Agnet")


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, Any] = {}
    exec("from toki import *", namespace)
    assert set(toki.__all__) <= set(namespace)


def test_a_backend_whose_package_is_missing_names_the_distribution_and_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BACKENDS, "FakeModel", ("toki_fake_backend_not_installed", "toki-fake", "fake"))
    with pytest.raises(ImportError) as info:
        _ = toki.FakeModel  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    message = str(info.value)
    assert "toki-fake" in message
    assert "pip install 'toki[fake]'" in message
    assert info.value.name == "toki_fake_backend_not_installed"
    assert "FakeModel" not in toki.__dict__  # a failure is not cached


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_real_backends_that_are_not_installed_say_what_to_install(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    package, distribution, extra = BACKENDS[name]
    # Make the backend's package unimportable whether or not it is installed here: a None entry
    # in sys.modules makes `import package` raise ModuleNotFoundError naming it.
    monkeypatch.setitem(sys.modules, package, None)
    monkeypatch.delitem(toki.__dict__, name, raising=False)
    with pytest.raises(ImportError, match=re.escape(f"toki[{extra}]")) as info:
        getattr(toki, name)
    assert distribution in str(info.value)
    assert name not in toki.__dict__


def test_an_installed_backend_resolves_and_a_broken_one_is_not_masked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "toki_fake_ok_backend.py").write_text("class OkModel:\n    pass\n", encoding="utf-8")
    (tmp_path / "toki_fake_broken_backend.py").write_text("import toki_dependency_that_is_missing\n", encoding="utf-8")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.setitem(BACKENDS, "OkModel", ("toki_fake_ok_backend", "toki-ok", "ok"))
    monkeypatch.setitem(BACKENDS, "BrokenModel", ("toki_fake_broken_backend", "toki-broken", "broken"))
    monkeypatch.delitem(toki.__dict__, "OkModel", raising=False)
    try:
        resolved = toki.OkModel  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
        assert resolved.__name__ == "OkModel"  # pyright: ignore[reportUnknownMemberType]
        # A backend whose own dependency is missing re-raises that error instead of blaming the backend.
        with pytest.raises(ModuleNotFoundError) as info:
            _ = toki.BrokenModel  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
        assert info.value.name == "toki_dependency_that_is_missing"
    finally:
        toki.__dict__.pop("OkModel", None)
        for module in ("toki_fake_ok_backend", "toki_fake_broken_backend"):
            sys.modules.pop(module, None)


def test_import_toki_alone_imports_nothing_else() -> None:
    # In a fresh interpreter: this test session has long imported everything.
    code = textwrap.dedent(
        """
        import sys
        before = set(sys.modules)
        import toki
        heavy = {'asyncio', 'httpx', 'litellm', 'ollama', 'json', 'toki'}
        print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))
        print(sorted(m for m in set(sys.modules) - before if m != 'toki'))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, new = result.stdout.strip().splitlines()
    assert heavy == "['toki']"
    assert "toki." not in new  # no submodule of toki is loaded by the import


def test_version() -> None:
    assert isinstance(toki.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", toki.__version__)
