"""The interactive runbook: one ipywidgets panel per notebook section, which Voila serves as a wizard.

`wizard` (the face the notebook's cells call), `state` (the wizard's state), `frame` (what every panel
shares), `parts` (what panels are built of), and one module per family of panels: `target`, `choosing`,
`review`, `credentials`, `results`. `style.css` is the panels' stylesheet.
"""

from .choosing import ConsolePanel, PermissionsPanel, UserPanel
from .credentials import CodeCommitPanel, MfaPanel
from .frame import Panel
from .parts import Reveal, SecretField
from .results import SummaryPanel, VerifyPanel
from .review import CreatePanel, ReviewPanel
from .state import ORDER, Wizard
from .target import PreflightPanel
from .wizard import PANELS, Panels

__all__ = ["ORDER", "PANELS", "CodeCommitPanel", "ConsolePanel", "CreatePanel", "MfaPanel", "Panel", "Panels",
           "PermissionsPanel", "PreflightPanel", "Reveal", "ReviewPanel", "SecretField", "SummaryPanel", "UserPanel",
           "VerifyPanel", "Wizard"]  # fmt: skip
