"""labeltui: label classification data from the terminal, with a model's help."""

__version__ = "0.1.0"
