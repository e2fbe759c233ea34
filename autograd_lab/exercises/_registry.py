"""Every exercise, its checker, and the last result of each: what ``progress()`` shows.

A checker is written as a function that returns a message when the answer is right and
raises ``Wrong`` (or lets the learner's own exception through) when it is not. The
``exercise`` decorator turns it into the function a notebook calls: it never raises, tells
"not attempted yet" from wrong, and remembers the result for ``progress()``.
"""

from __future__ import annotations

import functools
import html
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ._result import CheckResult


class Wrong(Exception):
    """Raised inside a checker: the answer is wrong, and the message says how."""


class NotAttempted(Exception):
    """Raised inside a checker: the exercise still has its placeholder."""


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    checker: Callable


EXERCISES: dict[str, Exercise] = {}
RESULTS: dict[str, CheckResult] = {}
_PACKAGE = str(Path(__file__).resolve().parents[1])


def exercise(id: str, title: str) -> Callable:  # noqa: A002 - the exercise's id, "02.1"
    """Register a checker as exercise ``id``; the result is a never-raising check."""

    def register(checker: Callable) -> Callable:
        @functools.wraps(checker)
        def check(*args, **kwargs) -> CheckResult:
            result = _run(id, title, checker, args, kwargs)
            RESULTS[id] = result
            return result

        if id in EXERCISES:
            raise ValueError(f"exercise {id} is registered twice")
        EXERCISES[id] = Exercise(id, title, check)
        return check

    return register


def _run(id, title, checker, args, kwargs) -> CheckResult:  # noqa: A002
    if any(a is None or a is Ellipsis for a in args):
        return CheckResult(id, title, "not attempted",
                           "not attempted yet: replace the placeholder (None or ...) with "
                           "your answer and run the cell again")
    try:
        message = checker(*args, **kwargs)
    except NotAttempted as e:
        return CheckResult(id, title, "not attempted", str(e) or "not attempted yet")
    except NotImplementedError:
        return CheckResult(id, title, "not attempted",
                           "not attempted yet: replace `raise NotImplementedError` with your "
                           "code and run the cell again")
    except Wrong as e:
        return CheckResult(id, title, "failed", str(e))
    except Exception as e:  # noqa: BLE001 - the learner's code raised: say where, do not raise
        return CheckResult(id, title, "failed", f"your code raised {_where(e)}")
    return CheckResult(id, title, "passed", message)


def _where(error: BaseException) -> str:
    """``TypeError: ... (line 3 of your code)``: the learner's last frame, not ours."""
    text = f"{type(error).__name__}: {error}"
    yours = [f for f in traceback.extract_tb(error.__traceback__)
             if not f.filename.startswith(_PACKAGE) and "site-packages" not in f.filename]
    if yours:
        text += f" (line {yours[-1].lineno} of your code)"
    return text


@dataclass(frozen=True)
class Progress:
    """A table of every exercise and its last result in this kernel session."""

    rows: tuple[tuple[str, str, str], ...]  # (id, title, status)

    def __str__(self) -> str:
        done = sum(1 for *_, s in self.rows if s == "passed")
        lines = [f"{done} of {len(self.rows)} exercises done"]
        marks = {"passed": "✓", "failed": "✗", "not attempted": "…", "not checked": " "}
        lines += [f"  {marks[s]} {i:6} {t} ({s})" for i, t, s in self.rows]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><td>{html.escape(i)}</td><td>{html.escape(t)}</td>"
                       f"<td>{html.escape(s)}</td></tr>" for i, t, s in self.rows)
        head = html.escape(str(self).splitlines()[0])
        return (f"<p>{head}</p><table><tr><th>exercise</th><th>title</th><th>status</th>"
                f"</tr>{body}</table>")
