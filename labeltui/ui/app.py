"""The labeltui Textual application."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from labeltui.ui.main_screen import MainScreen

if TYPE_CHECKING:
    from labeltui.core.workspace import Workspace


class LabelApp(App[None]):
    """Label a dataset with the model's help; every action is saved at once."""

    TITLE = "labeltui"
    CSS_PATH = "labeltui.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", tooltip="everything is already saved"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
    ]

    def __init__(self, workspace: Workspace, *, run_model: bool = True) -> None:
        super().__init__()
        self.workspace = workspace
        self.run_model = run_model

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.workspace, run_model=self.run_model)

    async def action_quit(self) -> None:
        """Stop a model run in progress, then quit."""
        if isinstance(self.screen_stack[0], MainScreen):
            self.screen_stack[0].stop_model()
        self.exit()
