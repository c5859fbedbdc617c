"""Errors shared by every layer."""


class UserError(Exception):
    """A problem the user caused and can fix: a missing file, an unknown column.

    The message is one line meant for a person. The command line prints it and
    exits with status 2; the app shows it as a notification. Anything that is
    not a UserError is a bug and is logged with its traceback.
    """
