"""An admin in a real browser where the second factor is required: set it up, sign out, sign in
with the password and a code from the app."""
import time

import pyotp
from playwright.sync_api import expect


def test_an_admin_sets_up_the_second_factor_then_signs_in_with_it(live_shop, page, screenshot, make_staff):
    # Given a store that requires a second factor, and an admin without one
    live_shop.app.config["STAFF_TOTP_REQUIRED"] = True
    staff, _ = make_staff("admin", email="lead@example.com")

    # When they sign in with the password, they are sent to set up the app first
    page.goto(f"{live_shop.url}/admin/login")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_shop.url}/admin/second-factor")
    expect(page.get_by_test_id("totp-uri")).to_contain_text("otpauth://totp/")
    screenshot(page, "admin-second-factor-setup")
    totp = pyotp.TOTP(page.get_by_test_id("totp-secret").inner_text())
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()

    # Then the recovery codes are shown once, and the admin opens
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    screenshot(page, "admin-recovery-codes")
    page.get_by_role("link", name="Continue to the admin").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()

    # When they sign out and in again, the password is followed by a code
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_shop.url}/admin/login/code")
    page.get_by_label("Code").fill(totp.at(int(time.time()) + totp.interval))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
