"""The pieces panels are built of: labelled inputs, error and banner HTML, the QR image, and the secret fields.

Secrets. A widget's value travels to the kernel and is saved with the widget state, so every
widget that holds a secret (the password fields, the reveal-once fields, the QR image, the seed,
the MFA codes) is emptied as soon as the secret has been used or dismissed, and no secret is ever
written into an HTML widget or a cell's output. The secrets store (`secrets_store`) keeps the copy.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets

from ..errors import RunbookError
from ..secrets import REDACTOR
from ..stores import Secret

if TYPE_CHECKING:
    from ..runbook import Runbook

Widget = Any  # ipywidgets ships no type information

# A copy button must run in the browser (the kernel has no clipboard): it copies the text of its
# secret field, so the secret never appears in this HTML or its saved state.
# The clipboard API exists only on secure origins (https, or localhost as here).
COPY_BUTTON = (
    "<button type='button' class='rb-copy jupyter-button widget-button' title='Copy the {label} to the clipboard' "
    "onclick=\"const box = this.closest('.rb-secret-field');"
    " const field = box && box.querySelector('.rb-secret-value');"
    " const failed = () => { this.textContent = 'Copy failed: show it and copy by hand'; };"
    " if (!field || !navigator.clipboard) { failed(); return; }"
    " navigator.clipboard.writeText(field.textContent.trim()).then(() => { this.textContent = 'Copied'; }, failed);"
    '">Copy</button>'
)

QR_TEXT = (
    "QR code of the MFA device's secret key, for an authenticator app. Cannot scan it? "
    "Choose Show secret key, below, to get the key as text and type it into the app."
)
"""The QR image's text alternative: what it is, and how to get the key without it."""


def close_tree(widget: Widget, keep: Widget = None) -> None:
    """Close a widget and everything in it (their models leave the kernel and the page), but `keep`."""
    if widget is keep:
        return
    for child in getattr(widget, "children", ()):
        close_tree(child, keep)
    widget.close()


def error_html(exc: RunbookError) -> str:
    """A runbook error as the person needs it: what went wrong, and the fix."""
    text = f"<div class='rb-error' role='alert'><b>{html.escape(REDACTOR.redact(exc.message))}</b>"
    if exc.fix:
        text += f"<br>Fix: {html.escape(REDACTOR.redact(exc.fix))}"
    return text + "</div>"


def unexpected_html(exc: Exception) -> str:
    name, text = html.escape(type(exc).__name__), html.escape(REDACTOR.redact(str(exc)))
    return f"<div class='rb-error' role='alert'><b>Unexpected error:</b> {name}: {text}</div>"


def failure_html(exc: Exception) -> str:
    return error_html(exc) if isinstance(exc, RunbookError) else unexpected_html(exc)


def copy_of(run: Runbook, secret: Secret) -> str:
    """Where the store put this run's secret of one kind ('console', 'mfa', 'codecommit'), for a dismissed reveal."""
    placed = run.delivery.placed(secret)
    return f"Where it went: {placed.describe()}." if placed is not None else ""


def banner(text: str) -> str:
    return f"<div class='rb-banner' role='status'>✓ {html.escape(text)}</div>"


def labelled(widget: Widget, css: str, description: str = "") -> Widget:
    """A labelled input with a class the tests and the stylesheet can find."""
    widget.add_class(css)
    if description:
        widget.description = description
        widget.style.description_width = "14em"
    widget.layout.width = "36em"
    widget.layout.max_width = "100%"
    return widget


def choice(widget: Widget, css: str) -> Widget:
    """A checkbox or toggle whose whole label shows (ipywidgets cuts labels short by default)."""
    widget.add_class(css)
    widget.layout.width = "auto"
    if isinstance(widget, widgets.ToggleButtons):
        widget.style.button_width = "auto"
    return widget


class TitledImage(widgets.Image):  # type: ignore[misc]
    """ipywidgets' Image with a text alternative: its tooltip becomes the <img>'s title.

    ipywidgets 8 has no alt text; its views set the tooltip as the title only when the widget's
    `description` is empty, and an Image has no `description` at all (its view fails on the tooltip).
    """

    description = traitlets.Unicode("").tag(sync=True)


def qr_image() -> Widget:
    """An empty image for a QR code, with its text alternative."""
    image = TitledImage(format="png", width=240, height=240, tooltip=QR_TEXT)
    image.add_class("rb-qr")
    return image


class SecretField:
    """A secret on the page: masked until asked, then in a read-only monospace line as wide as the panel, with Copy.

    The value is plain text (never a disabled input: those are greyed out, cut long values short and
    are skipped by screen readers), out of view while masked. `clear` empties every widget that held it.
    """

    def __init__(self, key: str, label: str, secret: str = "", *, show: str = "Show", hide: str = "Hide") -> None:
        self.words = (show, hide)
        self.label = widgets.HTML(f"<span class='rb-secret-label'>{html.escape(label)}</span>")
        self.masked = widgets.HTML("<span class='rb-secret-mask'>•••••••••••• (hidden)</span>")
        self.value = widgets.Label(value=secret)
        self.value.add_class("rb-secret-value")
        self.value.layout.display = "none"
        self.toggle = widgets.ToggleButton(description=show, tooltip=f"{show} the {label.lower()}")
        self.toggle.add_class("rb-toggle")
        self.toggle.observe(self._toggled, names="value")
        self.copy = widgets.HTML(COPY_BUTTON.replace("{label}", html.escape(label.lower(), quote=True)))
        self.box = widgets.VBox(
            [self.label, self.masked, self.value, widgets.HBox([self.toggle, self.copy])],
        )
        self.box.add_class("rb-secret-field")
        self.box.add_class(f"rb-secret-{key}")

    def fill(self, secret: str) -> None:
        self.value.value = secret

    def _toggled(self, change: dict[str, Any]) -> None:
        show = bool(change["new"])
        self.value.layout.display = "" if show else "none"
        self.masked.layout.display = "none" if show else ""
        self.toggle.description = self.words[1] if show else self.words[0]

    def clear(self) -> None:
        self.toggle.value = False
        self.value.value = ""

    def widgets(self) -> list[Widget]:
        return [self.label, self.masked, self.value, self.toggle, self.copy, self.box]


class Reveal:
    """A secret shown once: hidden until asked, copyable, and emptied when the person dismisses it."""

    def __init__(self, key: str, label: str, secret: str, after: str) -> None:
        self.after = after
        self.field = SecretField(key, label, secret)
        self.dismiss = widgets.Button(description="I have saved it", button_style="warning")
        self.dismiss.add_class("rb-dismiss")
        self.dismiss.on_click(lambda _: self.close())
        self.note = widgets.HTML(
            "<b>Shown once.</b> Save it in your password manager now; after you dismiss it, "
            "it is gone from this page (the secrets store keeps it, unless the summary says otherwise)."
        )
        self.box = widgets.VBox([self.note, self.field.box, self.dismiss])
        self.box.add_class("rb-reveal")
        self.box.add_class(f"rb-reveal-{key}")

    @property
    def value(self) -> str:
        return str(self.field.value.value)

    def close(self) -> None:
        """Empty every widget that held the secret, then say where the copy is."""
        self.field.clear()
        self.box.children = (widgets.HTML(f"<i>{html.escape(self.after)}</i>"),)
        for widget in [*self.field.widgets(), self.dismiss, self.note]:
            widget.close()
