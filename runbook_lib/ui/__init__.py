"""The interactive runbook: one ipywidgets panel per notebook section, which Voila serves as a wizard.

`wizard` (the face the notebook's cells call), `frame` (what panels share, and the wizard's state),
and one module per family of panels: `choosing`, `review`, `credentials`, `results`. `style.css` is
the panels' stylesheet.
"""

from .choosing import ConsolePanel, PermissionsPanel, PreflightPanel, UserPanel
from .credentials import CodeCommitPanel, MfaPanel
from .frame import ORDER, Panel, Reveal, Wizard
from .results import SummaryPanel, VerifyPanel
from .review import CreatePanel, ReviewPanel
from .wizard import PANELS, Panels

__all__ = ["ORDER", "PANELS", "CodeCommitPanel", "ConsolePanel", "CreatePanel", "MfaPanel", "Panel", "Panels",
           "PermissionsPanel", "PreflightPanel", "Reveal", "ReviewPanel", "SummaryPanel", "UserPanel",
           "VerifyPanel", "Wizard"]  # fmt: skip
