"""Merchant-written Jinja2, rendered so that it can neither reach Python's internals nor hold a worker.

- Jinja2's ImmutableSandboxedEnvironment: no `__class__`, `__globals__`, `mro()`..., no mutating methods.
- Only `range` as a global (the sandbox's, capped at 100,000 items) and a short list of builtin filters
  that can neither read files nor the network (there is no loader either).
- StrictUndefined: a name the template does not know is an error, never an empty string.
- `include`, `extends`, `import` and `autoescape` tags are refused.
- Limits, per part: the source size, the output size (streamed with `generate`, stopped once over), and
  a wall-clock deadline checked on every call, attribute read, intercepted operator, loop step and
  output chunk (compiling the source, bounded by its size, is outside it). Nothing big is built before
  a check can stop it: `*`, `**`, `+` and `%` are checked before they run, every filter and call refuses
  an integer argument larger than the output limit (`'x'|center(10**9)`) and a list whose text would be,
  and every `{{ value }}`, `~` and buffer join (macros, set and filter blocks) is sized before it becomes
  text. All values built in one render count against WORK_LIMIT, so a loop of big values stops too.

The HTML part is autoescaped; subject, text and SMS are not (they are not HTML).
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Iterable, Iterator

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.compiler import CodeGenerator
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

SOURCE_LIMIT = 64 * 1024         # characters of one part's source
OUTPUT_LIMIT = 256 * 1024        # characters of one part's output (and of any value built on the way)
TIME_LIMIT_S = 0.2               # wall clock for one part
SUBJECT_LIMIT = 998              # one header line (RFC 5322), after whitespace is collapsed
WORK_LIMIT = 16 * OUTPUT_LIMIT   # characters of all the values built in one render, freed or not
MAX_EXPONENT = 1024

# Builtin filters that only transform values. Left out: safe (a customer's name must stay text),
# attr/xmlattr/pprint (objects' insides), random (a preview must show what is sent), indent/wordwrap/urlize
# (sizes that multiply with their arguments).
ALLOWED_FILTERS = (
    "abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "filesizeformat",
    "first", "float", "forceescape", "format", "groupby", "int", "items", "join", "last", "length", "list",
    "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "select", "selectattr",
    "slice", "sort", "string", "striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper",
    "urlencode", "wordcount",
)
_FORMAT_WIDTH = re.compile(r"\d{6,}")  # a width or precision of 100,000 or more in a %-format or {:...}


class TemplateProblem(Exception):
    """What is wrong with a template, and where (a line of the part, when known)."""

    code = "template_invalid"

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno

    def __str__(self) -> str:
        return f"Line {self.lineno}: {self.message}" if self.lineno else self.message


class TemplateSyntaxProblem(TemplateProblem):
    code = "template_syntax_error"


class UnknownVariables(TemplateProblem):
    code = "template_unknown_variable"

    def __init__(self, found: list[tuple[str, int]], known: Iterable[str]) -> None:
        self.names = [name for name, _ in found]
        where = ", ".join(f"'{name}' (line {line})" for name, line in found)
        super().__init__(f"Unknown variable{'s' if len(found) > 1 else ''} {where}. "
                         f"Known variables: {', '.join(sorted(known))}.", found[0][1])

    def __str__(self) -> str:
        return self.message  # names each line itself


class LimitExceeded(TemplateProblem):
    code = "template_limit_exceeded"


class RenderFailed(TemplateProblem):
    code = "template_render_failed"


@dataclass(frozen=True)
class Limits:
    source: int = SOURCE_LIMIT
    output: int = OUTPUT_LIMIT
    time_s: float = TIME_LIMIT_S


class _LimitedCodeGenerator(CodeGenerator):
    """Loops step through `environment.checked_iter` and `~` through `environment.checked_size`: a loop with
    no output and no calls still meets the deadline, and doubling a string with `~` meets the size limit."""

    def visit_For(self, node: nodes.For, frame) -> None:
        node.iter = nodes.Call(nodes.EnvironmentAttribute("checked_iter"), [node.iter], [], None, None,
                               lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(f"), {bool(frame.eval_ctx.autoescape)!r})")


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """One render's environment: its deadline starts with `start()`."""

    code_generator_class = _LimitedCodeGenerator
    intercepted_binops = frozenset(["*", "**", "+", "%"])

    def __init__(self, *, html: bool, limits: Limits = Limits()) -> None:
        super().__init__(autoescape=html, undefined=StrictUndefined, keep_trailing_newline=True,
                         finalize=self.checked_output)
        self.limits = limits
        self.deadline = float("inf")
        self.spent = 0  # characters of values built so far (WORK_LIMIT): a list of big strings is big
        self.concat = self.checked_join  # every buffer (macros, {% set %} and {% filter %} blocks) is joined here
        self.globals = {"range": self.globals["range"]}
        self.filters = {name: _guarded(self, DEFAULT_FILTERS[name]) for name in ALLOWED_FILTERS}
        self.filters["replace"] = _guarded(self, _replace)
        self.filters["format"] = _guarded(self, _format)
        self.tests = dict(self.tests)

    def start(self) -> None:
        self.deadline = time.monotonic() + self.limits.time_s

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"rendering took longer than {int(self.limits.time_s * 1000)} ms")

    def checked_size(self, value: Any) -> Any:
        """`value` (just built), unless it, or everything built so far, is too large."""
        self._spend(size_of(value, self.limits.output + 1))
        return value

    def _spend(self, size: int) -> None:
        if size > self.limits.output:
            raise LimitExceeded(f"a value grew beyond {self.limits.output} characters or items")
        self.spent += size
        if self.spent > WORK_LIMIT:
            raise LimitExceeded(f"rendering built more than {WORK_LIMIT} characters")

    def checked_output(self, value: Any) -> Any:
        """Every {{ expression }}'s value, before it becomes text: `{{ a_list_of_big_strings }}` is refused
        before str() builds it."""
        self._spend(size_of(value, self.limits.output + 1))
        return value

    def checked_join(self, parts: Iterable[Any]) -> str:
        parts = list(parts)
        self._spend(size_of(parts, self.limits.output + 1))
        return "".join(parts)

    def checked_concat(self, values: tuple, autoescape: bool) -> str:
        """`a ~ b ~ c`, refused before it is built when it would be too large."""
        self._spend(size_of(values, self.limits.output + 1))
        return markup_join(values) if autoescape else str_join(values)

    def checked_iter(self, iterable: Any) -> Iterator[Any]:
        self.check_time()
        for item in iterable:
            self.check_time()
            yield item

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.check_time()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.check_time()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's signature)
        __self.check_time()
        _check_arguments(__self.limits, args, kwargs)
        return __self.checked_size(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any):
        if isinstance(getattr(value, "__self__", None), str):  # '{:999999999}'.format(1)
            _check_format(value.__self__)
        return super().wrap_str_format(value)

    def call_binop(self, context, operator_name: str, left: Any, right: Any) -> Any:
        self.check_time()
        limit = self.limits.output
        for operand in (left, right):  # '%s' % a_list_of_big_strings
            if isinstance(operand, (list, tuple, dict, set, frozenset)) and size_of(operand, limit + 1) > limit:
                raise LimitExceeded(f"an operand larger than {limit} characters")
        if operator_name == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > limit:
                    raise LimitExceeded(f"'*' would build more than {limit} characters or items")
        elif operator_name == "**":
            if isinstance(right, int) and (abs(right) > MAX_EXPONENT or (
                    isinstance(left, int) and left.bit_length() * abs(right) > 8 * limit)):
                raise LimitExceeded(f"'**' would build a number that large")
        elif operator_name == "%" and isinstance(left, str):
            _check_format(left)
        return self.checked_size(super().call_binop(context, operator_name, left, right))


def _check_arguments(limits: Limits, args: tuple, kwargs: dict) -> None:
    """No number larger than the output limit (a width, a count) and no value larger than it (a list of big
    strings to join, format or serialize) goes into a function."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limits.output:
            raise LimitExceeded(f"an argument larger than {limits.output}")
        if isinstance(value, (list, tuple, dict, set, frozenset)) and size_of(value, limits.output + 1) > limits.output:
            raise LimitExceeded(f"an argument larger than {limits.output} characters")


def size_of(value: Any, cap: int) -> int:
    """About how many characters `value` takes as text, counting no further than `cap`."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        total = 2
        items = value.items() if isinstance(value, dict) else value
        try:
            for item in items:
                total += 2 + size_of(item, cap - total)
                if total >= cap:
                    return cap
        except RecursionError:
            return cap
        return total
    if isinstance(value, (int, float, bool)) or value is None:
        return 8
    return 16  # an object the template was given or built (Undefined, a range): its text is short


def _check_format(spec: str) -> None:
    if _FORMAT_WIDTH.search(spec):
        raise LimitExceeded("a format width or precision that large")


def _guarded(env: LimitedEnvironment, function):
    @functools.wraps(function)  # keeps jinja_pass_arg (pass_environment, pass_context...)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        env.check_time()
        _check_arguments(env.limits, args, kwargs)
        return env.checked_size(function(*args, **kwargs))
    return guarded


def _replace(eval_ctx, value: Any, old: str, new: str, count: int | None = None) -> Any:
    """The builtin `replace`, refusing a result beyond the output limit before building it."""
    text, old, new = str(value), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if count is not None:
        times = min(times, max(count, 0))
    if len(text) + times * (len(new) - len(old)) > OUTPUT_LIMIT:
        raise LimitExceeded(f"'replace' would build more than {OUTPUT_LIMIT} characters")
    return DEFAULT_FILTERS["replace"](eval_ctx, value, old, new, count)


_replace.jinja_pass_arg = DEFAULT_FILTERS["replace"].jinja_pass_arg  # type: ignore[attr-defined]


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    _check_format(str(value))
    return DEFAULT_FILTERS["format"](value, *args, **kwargs)


# -- checking a source --------------------------------------------------------

def parse(source: str, *, html: bool, limits: Limits = Limits()) -> nodes.Template:
    """The template's syntax tree; TemplateProblem for a source too large, a syntax error or a refused tag."""
    if len(source) > limits.source:
        raise LimitExceeded(f"the template is longer than {limits.source} characters")
    env = LimitedEnvironment(html=html, limits=limits)
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateSyntaxProblem(error.message or "syntax error", error.lineno) from None
    for refused in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        tag = type(refused).__name__.lower().replace("fromimport", "from ... import")
        raise TemplateSyntaxProblem(f"{{% {tag} %}} is not allowed: a template stands alone", refused.lineno)
    for refused in tree.find_all((nodes.ScopedEvalContextModifier, nodes.EvalContextModifier)):
        raise TemplateSyntaxProblem("{% autoescape %} is not allowed: the HTML part is always escaped",
                                    refused.lineno)
    return tree


def check(source: str, known: Iterable[str], *, html: bool, limits: Limits = Limits()) -> None:
    """Refuses (TemplateProblem) a source that does not parse or names a variable outside `known`."""
    tree = parse(source, html=html, limits=limits)
    known = set(known)
    try:  # compiles the tree: an unknown filter or test is found here
        unknown = meta.find_undeclared_variables(tree) - known - {"range"}
    except TemplateSyntaxError as error:
        raise TemplateSyntaxProblem(error.message or "syntax error", error.lineno) from None
    if unknown:
        first_line: dict[str, int] = {}
        for name in tree.find_all(nodes.Name):
            if name.name in unknown and name.ctx == "load":
                first_line.setdefault(name.name, name.lineno)
        found = sorted(((name, first_line.get(name, 1)) for name in unknown), key=lambda item: (item[1], item[0]))
        raise UnknownVariables(found, known)


# -- rendering ----------------------------------------------------------------

def render(source: str, variables: dict[str, Any], *, html: bool, limits: Limits = Limits()) -> str:
    """`source` rendered with `variables`, within the limits; TemplateProblem otherwise (with the line where
    the template failed, when Jinja's traceback names it)."""
    parse(source, html=html, limits=limits)  # the size, and the tags refused, even for a template saved long ago
    env = LimitedEnvironment(html=html, limits=limits)
    try:
        template = env.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateSyntaxProblem(error.message or "syntax error", error.lineno) from None
    env.start()
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(variables):
            size += len(chunk)
            if size > limits.output:
                raise LimitExceeded(f"the output is longer than {limits.output} characters")
            env.check_time()
            out.append(chunk)
    except TemplateProblem as problem:
        if problem.lineno is None:
            problem.lineno = _template_line(problem.__traceback__)
        raise problem.with_traceback(None) from None
    except (RecursionError, MemoryError) as error:
        raise LimitExceeded(f"rendering stopped: {type(error).__name__}", _template_line(error.__traceback__)) from None
    except Exception as error:  # UndefinedError, SecurityError, TypeError from a filter, ZeroDivisionError...
        raise RenderFailed(_message(error), _template_line(error.__traceback__)) from None
    return "".join(out)


def _message(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 300 else text[:300] + "…"


def _template_line(tb: TracebackType | None) -> int | None:
    """The line of the template's own frame (Jinja rewrites the traceback so its frames carry template lines)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


__all__ = ["Limits", "LimitExceeded", "RenderFailed", "TemplateProblem", "TemplateSyntaxProblem", "UnknownVariables",
           "check", "parse", "render", "SUBJECT_LIMIT"]
