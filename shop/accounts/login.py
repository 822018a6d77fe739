"""Flask-Login wiring for the admin panel's session cookie."""
from shop.accounts.models import Staff
from shop.accounts.sessions import staff_for_session
from shop.extensions import login_manager


@login_manager.user_loader
def load_staff(session_id: str) -> Staff | None:
    """The cookie names a server-side session (`shop.accounts.sessions`); an ended one is no one."""
    return staff_for_session(session_id)


login_manager.login_view = "admin.login"
login_manager.session_protection = "strong"
