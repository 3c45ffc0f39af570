"""``nqpf run``: placeholder until the index engine lands."""


def run() -> None:
    """Build the shipped indices."""
    raise SystemExit("not yet built")
