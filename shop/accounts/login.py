"""Flask-Login wiring for the admin panel's session cookie."""
from shop.accounts.models import Staff
from shop.extensions import db, login_manager


@login_manager.user_loader
def load_staff(session_id: str) -> Staff | None:
    """Sessions name the staff id and session version; a bumped version ends old sessions."""
    staff_id, _, version = session_id.partition(":")
    if not staff_id.isdigit() or not version.isdigit():
        return None
    staff = db.session.get(Staff, int(staff_id))
    if staff is None or not staff.active or staff.session_version != int(version):
        return None
    return staff


login_manager.login_view = "admin.login"
login_manager.session_protection = "strong"
