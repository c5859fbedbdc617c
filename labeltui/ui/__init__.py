"""The Textual application. Talks to the core through the workspace only."""
