"""The concepts pages (docs/concepts/): one page per mechanism, each with a title, in the
toctree, with examples that run and say what they print, and naming only code that exists.

Every Python block of a page runs, in order, in one fresh namespace per page that starts
with ``import autograd_lab as al``. A block written doctest-style (``>>>``) is checked by
doctest; in any other block, a line ``expr  # -> text`` must evaluate to a value whose
``repr`` is ``text``.
"""

from __future__ import annotations

import ast
import doctest
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONCEPTS = ROOT / "docs" / "concepts"

# Each mechanism of issue 16 and the page that explains it.
MECHANISMS = {
    "the graph and nodes": "graph",
    "the engine's algorithm": "engine",
    "saved values and version counters": "saved_values",
    "views and CopySlices": "views",
    "hooks and their order": "hooks",
    "custom Functions": "functions",
    "custom ops and the fallback": "custom_ops",
    "higher order (create_graph)": "higher_order",
    "gradcheck": "gradcheck",
    "anomaly mode": "anomaly_mode",
    "tracing and export": "tracing",
}
PAGES = sorted(MECHANISMS.values())
DIFFERS = "## Where autograd_lab differs from PyTorch"
FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
# What a path in backticks looks like: a file or folder of the repository.
# A file named by its path from the repository's root.
PATH = re.compile(r"^(autograd_lab|tests|docs|notebooks|benchmarks)(/[\w.-]+)*/?$"
                  r"|^[\w./-]+\.(py|pyi|md|ipynb|toml|cfg)$")


# A page with figures is a MyST text notebook: front matter, then ```{code-cell}``` blocks
# that myst-nb runs in a kernel when the site is built (their outputs are the figures).
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n\n?", re.S)
CODE_CELL = "{code-cell}"


def source_of(page: str) -> str:
    return (CONCEPTS / f"{page}.md").read_text()


def text(page: str) -> str:
    """The page as a reader sees it: without its front matter."""
    return FRONT_MATTER.sub("", source_of(page))


def python_blocks(source: str) -> list[str]:
    return [body for lang, body in FENCE.findall(source)
            if lang in ("python", "pycon", CODE_CELL)]


def code_cells(source: str) -> list[str]:
    return [body for lang, body in FENCE.findall(source) if lang == CODE_CELL]


def toctree(source: str) -> list[str]:
    blocks = [body for lang, body in FENCE.findall(source) if lang == "{toctree}"]
    assert len(blocks) == 1, "docs/concepts/index.md has one toctree"
    return [line.strip() for line in blocks[0].splitlines()
            if line.strip() and not line.strip().startswith(":")]


def test_every_mechanism_has_its_page():
    missing = [m for m, page in MECHANISMS.items() if not (CONCEPTS / f"{page}.md").is_file()]
    assert not missing
    extra = {p.stem for p in CONCEPTS.glob("*.md")} - set(PAGES) - {"index"}
    assert not extra, f"pages not in MECHANISMS: {extra}"


@pytest.mark.parametrize("page", ["index", *PAGES])
def test_page_starts_with_a_title(page):
    first = text(page).splitlines()[0]
    assert re.fullmatch(r"# \S.*", first), first


def test_every_page_is_in_the_concepts_toctree():
    assert sorted(toctree(text("index"))) == PAGES


@pytest.mark.parametrize("page", PAGES)
def test_page_has_an_example_and_says_where_it_differs(page):
    source = text(page)
    assert python_blocks(source), "a runnable example"
    assert DIFFERS in source
    assert "## In the code" in source


def _check_arrows(code: str) -> str:
    """Rewrite each ``expr  # -> text`` line as a check that repr(expr) == text."""
    lines = []
    for line in code.splitlines():
        if "# ->" in line:
            expr, expected = line.split("# ->", 1)
            indent = expr[: len(expr) - len(expr.lstrip())]
            ast.parse(expr.strip(), mode="eval")  # must be an expression
            line = f"{indent}__expect__({expr.strip()}, {expected.strip()!r})"
        lines.append(line)
    return "\n".join(lines)


def _expect(value, expected: str) -> None:
    assert repr(value) == expected, f"{value!r} != {expected}"


@pytest.mark.parametrize("page", PAGES)
def test_examples_run_and_print_what_they_say(page):
    namespace: dict = {"__name__": f"concepts_{page}", "__expect__": _expect}
    exec("import autograd_lab as al", namespace)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for i, block in enumerate(python_blocks(text(page))):
            if block.lstrip().startswith(">>>"):
                name = f"{page}.md block {i}"
                test = parser.get_doctest(block, namespace, name, str(CONCEPTS), 0)
                report: list[str] = []
                runner.run(test, out=report.append, clear_globs=False)
                assert not report, f"{name}:\n{''.join(report)}"
                namespace = test.globs  # a DocTest runs in a copy of the namespace given
            else:
                exec(compile(_check_arrows(block), f"{page}.md[{i}]", "exec"), namespace)


FIGURE_PAGES = [p for p in PAGES if code_cells(text(p))]


def test_pages_with_figures_run_them_at_build_time():
    """The pages that draw are text notebooks that myst-nb executes; the others are not."""
    assert len(FIGURE_PAGES) >= 5, FIGURE_PAGES
    for page in PAGES:
        front = FRONT_MATTER.match(source_of(page))
        if page in FIGURE_PAGES:
            assert front and "execution_mode: force" in front.group(0), page
        else:
            assert front is None, page


@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_figure_cells_stand_alone_and_end_in_a_figure(page):
    """The kernel sees the code cells only (not the doctest blocks): they must run alone,
    in a fresh namespace, and each ends in something drawn (SVG) or a filmstrip (HTML)."""
    namespace: dict = {"__name__": f"figures_{page}"}
    for i, cell in enumerate(code_cells(text(page))):
        *body, last = ast.parse(cell).body
        assert isinstance(last, ast.Expr), f"{page} cell {i} must end in an expression"
        exec(compile(ast.Module(body=body, type_ignores=[]), f"{page}[{i}]", "exec"), namespace)
        value = eval(compile(ast.Expression(last.value), f"{page}[{i}]", "eval"), namespace)
        bundle = value._repr_mimebundle_() if hasattr(value, "_repr_mimebundle_") else {}
        drawn = "image/svg+xml" in bundle or hasattr(value, "_repr_html_")
        assert drawn, (page, i, type(value).__name__)


def _backticked(source: str) -> list[str]:
    prose = FENCE.sub("", source)
    return re.findall(r"`([^`\n]+)`", prose)


@pytest.mark.parametrize("page", ["index", *PAGES])
def test_paths_in_backticks_exist(page):
    paths = [t for t in _backticked(text(page)) if PATH.match(t)]
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing


@pytest.mark.parametrize("page", ["index", *PAGES])
def test_relative_links_exist(page):
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", FENCE.sub("", text(page)))
    missing = [t for t in targets if "://" not in t and not (CONCEPTS / t).resolve().exists()]
    assert not missing


def _defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("page", PAGES)
def test_names_in_the_code_section_are_defined_there(page):
    """Each bullet of "In the code" names a module, then functions or classes it defines."""
    section = text(page).split("## In the code", 1)[1].split("\n## ", 1)[0]
    bullets = re.split(r"\n- ", "\n" + section)[1:]
    assert bullets
    for bullet in bullets:
        path, *names = re.findall(r"`([^`]+)`", bullet.split("(", 1)[0])
        assert (ROOT / path).is_file(), path
        if path.endswith(".py") and not path.startswith("tests/"):
            undefined = set(names) - _defined_names(ROOT / path)
            assert not undefined, f"{path} does not define {undefined}"
