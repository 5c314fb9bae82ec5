"""Message templates run in a sandbox: merchants' templates are untrusted code.

Templates are written by merchants in the dashboard, so they run in Jinja's
:class:`SandboxedEnvironment` (no ``__class__``/``__globals__`` walks), with
only harmless globals, a small ``range``, no string or list multiplication
into the megabytes, and output cut off at :data:`MAX_OUTPUT_CHARS` while it is
produced. ``StrictUndefined`` plus a check of every dotted name against the
context turns a typo into an error that names the token and its line, instead
of an SMS saying "Your order  has shipped".

What a template sees for an order, the token catalogue and the editor's
preview are :mod:`saleor_sms_app.message_templates.order_tokens`; this module
builds no context (only ``order.metadata`` is named, as merchant data).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from saleor_sms_app.errors import TemplateError
from saleor_sms_app.message_templates.links import LinkMaker, short_link, with_links

#: Longest text a template may produce: 1600 characters is the most any of our
#: providers accepts in one message (Twilio's limit, about ten segments).
MAX_OUTPUT_CHARS = 1600
#: ``range()`` in a template; a message never needs to count higher.
MAX_RANGE = 1000
#: Longest string or list a template may build with ``*``.
MAX_PRODUCT_SIZE = 10_000
#: Context paths whose keys come from the merchant's data, not from us.
_FREE_FORM = frozenset({"order.metadata"})


class _OutputTooLong(Exception):
    pass


def _capped_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"range() in a template is limited to {MAX_RANGE} items")
    return rng


class _SmsEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, minus the ways to burn memory with one expression.

    Immutable, because one context is rendered for several recipients: a
    template must not change the order the next one sees.
    """

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("exponents in a template are limited to 100")
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_PRODUCT_SIZE
                ):
                    raise SecurityError("the template builds a text that is far too long")
        return operator.mul(left, right) if op == "*" else operator.pow(left, right)


def _build_environment() -> SandboxedEnvironment:
    env = _SmsEnvironment(undefined=StrictUndefined, autoescape=False, auto_reload=False)
    # cycler/joiner/lipsum are no use in an SMS and only widen the surface.
    env.globals = {"range": _capped_range, "dict": dict, "namespace": env.globals["namespace"]}
    env.globals["short_link"] = short_link  # tracked links (saleor_sms_app.message_templates.links)
    return env


_ENV = _build_environment()


@lru_cache(maxsize=512)
def _compile(source: str) -> tuple[Template, tuple[str, ...]]:
    """The compiled template and the dotted names it reads (both pure functions of the text)."""
    try:
        ast = _ENV.parse(source)
        template = _ENV.from_string(ast)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"line {exc.lineno}: {exc.message}",
            code="template_syntax_error",
            details={"line": exc.lineno},
        ) from exc
    return template, tuple(_dotted_names(ast))


def _local_names(ast: nodes.Template) -> set[str]:
    """Names the template assigns itself (loop variables, ``set``, macro args), not tokens."""
    return {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}


def _dotted_names(ast: nodes.Template) -> Iterator[str]:
    """``name.attr.attr@line`` for every token-like expression in the template."""
    local = _local_names(ast)
    for node in ast.find_all((nodes.Getattr, nodes.Name)):
        parts: list[str] = []
        current: nodes.Node = node
        while isinstance(current, nodes.Getattr):
            parts.append(current.attr)
            current = current.node
        if not isinstance(current, nodes.Name) or current.ctx != "load":
            continue
        if current.name in local or current.name in _ENV.globals:
            continue
        yield ".".join([current.name, *reversed(parts)]) + f"@{node.lineno}"


def _check_names(names: tuple[str, ...], context: Mapping[str, Any]) -> None:
    """Raise for the first dotted name the context does not have."""
    for entry in names:
        path, _, line = entry.rpartition("@")
        value: Any = context
        walked: list[str] = []
        for part in path.split("."):
            if ".".join(walked) in _FREE_FORM or not isinstance(value, Mapping):
                break  # merchant data or a method of a value: checked when rendered
            if part not in value:
                token = ".".join([*walked, part])
                raise TemplateError(
                    f"line {line}: unknown token {{{{ {token} }}}}",
                    code="unknown_token",
                    details={"token": token, "line": int(line)},
                )
            value = value[part]
            walked.append(part)


def check_tokens(source: str, context: Mapping[str, Any]) -> None:
    """Raise :class:`TemplateError` for a syntax error or a token ``context`` does not have.

    Whether ``order.metadata.x`` exists depends on the order, so that is left
    to rendering. :func:`~saleor_sms_app.message_templates.order_tokens.check_template`
    checks against the sample order unless told another sample.
    """
    _, names = _compile(source)
    _check_names(names, context)


def render(source: str, context: Mapping[str, Any], links: LinkMaker | None = None) -> str:
    """The message text, stripped; :class:`TemplateError` saying what is wrong and where.

    ``links`` makes the ``short_link`` helper's links (placeholders without one).
    """
    template, names = _compile(source)
    _check_names(names, context)
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(with_links(context, links)):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS * 2:  # leave room for whitespace stripped below
                raise _OutputTooLong
            out.append(chunk)
    except _OutputTooLong:
        raise TemplateError(
            f"the message would be longer than {MAX_OUTPUT_CHARS} characters",
            code="template_too_long",
        ) from None
    except UndefinedError as exc:
        raise TemplateError(f"unknown token: {exc.message}", code="unknown_token") from exc
    except SecurityError as exc:
        raise TemplateError(
            f"the template uses something that is not allowed: {exc}", code="template_forbidden"
        ) from exc
    except JinjaTemplateError as exc:
        raise TemplateError(f"the template cannot be rendered: {exc}") from exc
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateError(f"the template cannot be rendered: {exc}") from exc
    text = "".join(out).strip()
    if len(text) > MAX_OUTPUT_CHARS:
        raise TemplateError(
            f"the message is {len(text)} characters long; the limit is {MAX_OUTPUT_CHARS}",
            code="template_too_long",
        )
    return text
