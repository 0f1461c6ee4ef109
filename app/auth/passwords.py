"""Password hashing (werkzeug's scrypt) and the minimum rules a staff password must meet."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
METHOD = "scrypt"  # memory-hard; werkzeug stores the parameters and salt inside the hash string

# Checked when the account does not exist, so an unknown name costs as much time as a bad password.
_DUMMY_HASH = ("scrypt:32768:8:1$sohoa-dummy-salt$"
               "3f7e1f5d2c0b7a6e4d9c8b1a0f2e3d4c5b6a7980f1e2d3c4b5a69788f0e1d2c3"
               "b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d")


class PasswordPolicyError(ValueError):
    """The password is too weak to be accepted."""


def check_policy(password: str, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"a password needs at least {MIN_LENGTH} characters")
    if username and username.lower() in password.lower():
        raise PasswordPolicyError("a password must not contain the username")
    if len(set(password)) < 4:
        raise PasswordPolicyError("a password needs more than 3 different characters")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=METHOD)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not a hash exists (no user enumeration by timing)."""
    if not stored_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(stored_hash, password)
