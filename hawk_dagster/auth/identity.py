"""The caller as the API and the runs know them: subject, email, model-access permissions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PUBLIC_GROUP = "model-access-public"


class Identity(BaseModel):
    """A validated caller. `permissions` are the token's `permissions` / `scp` claim values, as given."""

    model_config = ConfigDict(frozen=True)

    subject: str = Field(description="The token's `sub`.")
    email: str | None = Field(default=None, description="The token's email claim, when it has one.")
    permissions: frozenset[str] = Field(default_factory=frozenset)
    local: bool = Field(default=False, description="True in local single-user mode (auth disabled).")

    @property
    def created_by(self) -> str:
        """What runs and rows record as their author: the email, else the subject."""
        return self.email or self.subject


def local_identity(user: str) -> Identity:
    """The single user of local mode (no issuer configured): may use every model group."""
    return Identity(subject=user, permissions=frozenset(), local=True)
