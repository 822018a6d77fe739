"""Fixtures for catalogue tests: a recorder of the SQL a request sends."""
import pytest
from sqlalchemy import event

from shop.extensions import db


class SqlRecorder:
    """Every statement the app's engine executes while recording."""

    def __init__(self):
        self.statements: list[str] = []
        self.recording = False

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.recording:
            self.statements.append(statement)

    def __enter__(self):
        self.statements.clear()
        self.recording = True
        return self

    def __exit__(self, *exc):
        self.recording = False

    @property
    def writes(self) -> list[str]:
        verbs = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER")
        return [s for s in self.statements if s.lstrip().upper().startswith(verbs)]


@pytest.fixture
def sql(app):
    recorder = SqlRecorder()
    event.listen(db.engine, "before_cursor_execute", recorder)
    yield recorder
    event.remove(db.engine, "before_cursor_execute", recorder)
