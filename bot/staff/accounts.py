"""Staff accounts: ``python -m bot.staff create|disable|unlock``.

``create --email desk@vantaa.fi --organisation city-of-vantaa --desk "Myyrmäki
service point"`` makes a desk account (the default role; ``--role reviewer`` for a
partner's reviewer, ``--role admin`` for an administrator); the password is asked for,
or STAFF_PASSWORD. ``disable`` stops an account and ends its sessions; ``unlock``
lifts a lockout after wrong passwords. Passwords are stored only as Argon2 hashes.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from bot import settings
from bot.db.tables import StaffAccount, StaffSession, engine_for
from bot.knowledge.loading import shipped_knowledge

ROLES = ("desk", "reviewer", "admin")


HASHER = PasswordHasher()


def main() -> int:
    """``python -m bot.staff create|disable|unlock``: manage staff accounts."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="a new staff account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", choices=ROLES, default="desk")
    create.add_argument("--organisation", help="not for an admin")
    create.add_argument("--desk", help="a desk account's service point")
    for command, purpose in (
        ("disable", "an account that may not log in"),
        ("unlock", "an account locked after wrong passwords, open again"),
    ):
        commands.add_parser(command, help=purpose).add_argument(
            "--email", required=True
        )
    args = parser.parse_args()
    try:
        return run_command(args)
    except sa.exc.SQLAlchemyError as error:
        # Never the statement or its parameters (a password hash, a row): the
        # database's own first line says what went wrong.
        reason = str(getattr(error, "orig", None) or type(error).__name__)
        print(f"Database error: {reason.splitlines()[0]}", file=sys.stderr)
        return 1


def run_command(args: argparse.Namespace) -> int:
    """Creates, disables or unlocks the account ``args`` names; the exit status."""
    email = args.email.strip().lower()
    with Session(engine_for(settings.DATABASE_URL)) as session, session.begin():
        account = session.scalar(
            sa.select(StaffAccount).where(StaffAccount.email == email)
        )
        if args.command == "create":
            if account is not None:
                print(
                    f"Not created: there is already an account {email}.",
                    file=sys.stderr,
                )
                return 1
            password = os.environ.get("STAFF_PASSWORD") or getpass.getpass("Password: ")
            try:
                create_account(
                    session,
                    email,
                    args.organisation,
                    args.desk,
                    password,
                    role=args.role,
                )
                session.flush()
            except ValueError as error:
                print(f"Not created: {error}", file=sys.stderr)
                return 1
            except sa.exc.IntegrityError:  # made at the same moment by someone else
                print(
                    f"Not created: there is already an account {email}.",
                    file=sys.stderr,
                )
                return 1
            where = args.organisation if args.role != "admin" else "every partner"
            print(f"Created {email} ({args.role}, {where}).")
            return 0
        if account is None:
            print(f"No account {email}.", file=sys.stderr)
            return 1
        if args.command == "unlock":
            account.failed_logins = 0
            account.locked_until = None
            print(f"Unlocked {email}.")
            return 0
        account.disabled = True
        session.execute(
            sa.delete(StaffSession).where(StaffSession.staff_id == account.id)
        )
        print(f"Disabled {email}; their sessions are closed.")
    return 0


def create_account(
    session: Session,
    email: str,
    organisation: str | None,
    desk: str | None,
    password: str,
    role: str = "desk",
) -> StaffAccount:
    """A new staff account (the password is stored only as an Argon2 hash)."""
    if len(password) < 10:
        raise ValueError("The password must have at least 10 characters.")
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}: {', '.join(ROLES)}")
    if role == "admin":
        organisation = desk = None
    else:
        known = shipped_knowledge().organisations
        if organisation not in known:
            raise ValueError(f"Unknown organisation {organisation!r}: {sorted(known)}")
        if role == "desk" and not desk:
            raise ValueError("A desk account needs --desk.")
    account = StaffAccount(
        email=email.strip().lower(),
        role=role,
        organisation_id=organisation,
        desk=desk,
        password_hash=HASHER.hash(password),
        failed_logins=0,
    )
    session.add(account)
    return account


if __name__ == "__main__":
    sys.exit(main())
