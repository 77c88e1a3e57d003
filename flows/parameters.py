"""Flow parameters as the Prefect UI's run form shows them: each with a title and a
description, in the order of the flow's signature.

Prefect titles every parameter with its name and takes a description from a pydantic
``Field`` given as the default; ``json_schema_extra`` is applied last, so the title given
there is the one the form shows. Called directly, a flow unwraps the ``Field`` to its default.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import Field

T = TypeVar("T")


def parameter(default: T, title: str, description: str) -> T:
    """The default of a flow parameter, with the title and description the run form shows."""
    return Field(default=default, description=description, json_schema_extra={"title": title})
