"""Sphinx configuration for the autograd_lab site (`make docs`).

The Markdown pages in docs/ are read by MyST; the curriculum notebooks are read by myst-nb
through the ``docs/notebooks`` symlink (to ``../notebooks``) and rendered from their stored
outputs: they are not executed at build time (the concept pages with figures are, see
``nb_execution_mode``). The API reference is written at build time by
``_write_api_pages`` below, one page per public module, one entry per name in its ``__all__``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import autograd_lab  # noqa: E402

project = "autograd_lab"
author = "autograd_lab contributors"
copyright = "autograd_lab contributors"
release = version = autograd_lab.__version__ if hasattr(autograd_lab, "__version__") else "0.1.0"

extensions = [
    "myst_nb",  # registers myst_parser too
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

# Stored outputs only: the notebooks are executed by `make notebooks`, checked by nbval.
# The concept pages that draw opt in with `mystnb: execution_mode: force` in their front
# matter (their code cells make the figures); an error in one fails the build.
nb_execution_mode = "off"
nb_execution_raise_on_error = True

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = [
    "_build",
    "notebooks/solutions",
    "notebooks/.ipynb_checkpoints",
    "**/.ipynb_checkpoints",
    "images/*.txt",
]
root_doc = "index"

# API reference.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Docstrings mention names as ``code``; cross-reference roles that cannot be resolved
# (a PyTorch name, a private class) should not fail a -W build.
nitpicky = False

html_theme = "furo"
html_title = "autograd_lab"
html_static_path = ["_static"]
html_css_files = ["custom.css"]

# ---------------------------------------------------------------------------------------
# The API pages

PUBLIC_MODULES = [
    "autograd_lab",
    "autograd_lab.autograd",
    "autograd_lab.nn",
    "autograd_lab.nn.functional",
    "autograd_lab.nn.init",
    "autograd_lab.optim",
    "autograd_lab.viz",
    "autograd_lab.widgets",
    "autograd_lab.trace",
    "autograd_lab.onnx",
    "autograd_lab.library",
    "autograd_lab.exercises",
]
API_DIR = DOCS / "api" / "_generated"


def public_modules() -> list[str]:
    """The modules above that exist and declare ``__all__``."""
    found = []
    for name in PUBLIC_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        if getattr(mod, "__all__", None):
            found.append(name)
    return found


def _class_home(cls) -> str | None:
    """The deepest public module whose ``__all__`` exports ``cls`` by its own name."""
    homes = [m for m in public_modules()
             if getattr(importlib.import_module(m), cls.__name__, None) is cls
             and cls.__name__ in importlib.import_module(m).__all__]
    return max(homes, key=lambda m: m.count(".")) if homes else None


def _directive(modname: str, name: str) -> str:
    mod = importlib.import_module(modname)
    obj = getattr(mod, name)
    full = f"{modname}.{name}"
    if inspect.ismodule(obj):
        if obj.__name__ in PUBLIC_MODULES and getattr(obj, "__all__", None):
            target = obj.__name__.replace(".", "_")
            return (f".. py:data:: {name}\n   :module: {modname}\n   :no-index-entry:\n\n"
                    f"   The module :doc:`{obj.__name__} <{target}>`.\n")
        return (f".. py:data:: {name}\n   :module: {modname}\n\n"
                f"   The module ``{obj.__name__}``.\n")
    if inspect.isclass(obj):
        home = _class_home(obj)
        if home is not None and home != modname:
            # autodoc records a class under its defining module too (``:canonical:``), so
            # the class is documented once, on the page of the deepest public module that
            # exports it; here it gets an entry of its own that links there.
            return (f".. py:class:: {name}\n   :module: {modname}\n   :no-index-entry:\n\n"
                    f"   The class :class:`{home}.{obj.__name__}`.\n")
        return (f".. autoclass:: {full}\n   :members:\n   :no-inherited-members:\n")
    if callable(obj) and not hasattr(obj, "dtype"):
        return f".. autofunction:: {full}\n"
    kind = type(obj).__name__
    # no value when it is the name itself, or an object's address (not stable across builds)
    value = "" if repr(obj) == full or " at 0x" in repr(obj) else f": ``{obj!r}``"
    return f".. autodata:: {full}\n   :no-value:\n\n   A ``{kind}``{value}.\n"


def _write_api_pages(app) -> None:
    API_DIR.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for modname in public_modules():
        mod = importlib.import_module(modname)
        page = modname.replace(".", "_")
        wanted.add(f"{page}.rst")
        title = f"``{modname}``"
        lines = [title, "=" * len(title), "", f".. py:module:: {modname}", "   :no-index:", ""]
        doc = inspect.getdoc(mod)
        summary = doc.split("\n\n")[0].strip() if doc else ""
        if summary:
            lines += [summary, ""]
        lines += [f"Every name in ``{modname}.__all__`` ({len(mod.__all__)} names).", ""]
        for name in mod.__all__:
            lines += [_directive(modname, name), ""]
        text = "\n".join(lines)
        path = API_DIR / f"{page}.rst"
        if not path.exists() or path.read_text() != text:  # keep mtimes for incremental builds
            path.write_text(text)
    for stale in API_DIR.glob("*.rst"):
        if stale.name not in wanted:
            stale.unlink()


# ---------------------------------------------------------------------------------------
# Links between notebooks
#
# docs/notebooks is a symlink to ../notebooks. Sphinx resolves a relative link's path
# (Path.resolve() in relfn2path), which follows the symlink out of docs/, so a notebook's
# link to its neighbour ("01_one_page_autograd.ipynb") becomes a pending reference to the
# absolute path /.../notebooks/01_one_page_autograd. Map such paths back to their docname.

NOTEBOOKS_REAL = (DOCS / "notebooks").resolve()


def _relink_notebooks(app, doctree) -> None:
    from sphinx import addnodes

    prefix = f"{NOTEBOOKS_REAL}/"
    for node in doctree.findall(addnodes.pending_xref):
        target = node.get("reftarget", "")
        if node.get("refdomain") == "doc" and target.startswith(prefix):
            node["reftarget"] = "notebooks/" + target[len(prefix):]


# A class whose ``__new__`` comes from a library (ipywidgets' traitlets: ``__new__(*args,
# **kwargs)``) would be documented with that signature, since autodoc prefers ``__new__`` to
# ``__init__``. The arguments a user passes are ``__init__``'s: show those.


def _init_signature(app, what, name, obj, options, signature, return_annotation):
    if what != "class" or not inspect.isfunction(getattr(obj, "__new__", None)):
        return None  # object's or a builtin's __new__: autodoc reads __init__ already
    if (obj.__new__.__module__ or "").startswith("autograd_lab"):
        return None
    try:
        init = inspect.signature(obj.__init__, eval_str=True)
    except NameError:  # an annotation names a type imported for checkers only
        init = inspect.signature(obj.__init__)
    params = list(init.parameters.values())[1:]  # not self
    return str(inspect.Signature(params)), return_annotation


def setup(app):
    app.connect("builder-inited", _write_api_pages)
    app.connect("doctree-read", _relink_notebooks)
    app.connect("autodoc-process-signature", _init_signature)
