"""The labeltui core: data, analysis, project store and workspace.

Nothing in this package imports textual or rich; the UI talks to it through
:class:`labeltui.core.workspace.Workspace` only.
"""
