"""Where a Checkout Session may ship to, and the addresses the stand-in fills in by itself.

`SHIPPING_COUNTRIES` is the list Stripe accepts in `shipping_address_collection[allowed_countries]`
(ISO 3166-1 alpha-2, with Stripe's additions such as XK and its catch-all ZZ); a few
territories Stripe cannot ship to (AS, CU, IR, KP, SY, ...) are not in it.
"""

SHIPPING_COUNTRIES = tuple("""
    AC AD AE AF AG AI AL AM AO AQ AR AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CD CF CG CH CI CK CL CM CN CO CR CV CW CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT
    GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IS IT JE JM JO JP KE KG KH KI KM KN KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MK ML MM MN MO MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SZ TA TC
    TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VN VU WF WS XK
    YE YT ZA ZM ZW ZZ
""".split())

# Names for the pay page's country select; any other country shows its code.
COUNTRY_NAMES = {
    "AT": "Austria", "AU": "Australia", "BE": "Belgium", "CA": "Canada", "CH": "Switzerland",
    "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "ES": "Spain", "FI": "Finland",
    "FR": "France", "GB": "United Kingdom", "GR": "Greece", "IE": "Ireland", "IT": "Italy",
    "JP": "Japan", "LU": "Luxembourg", "MX": "Mexico", "NL": "Netherlands", "NO": "Norway",
    "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal", "SE": "Sweden", "US": "United States",
}

# Countries whose addresses need a state or province, as Checkout's address form asks.
STATE_REQUIRED = frozenset({"AU", "BR", "CA", "IN", "MX", "US"})

# What the control API and `StandIn.pay` fill in when a test gives no address: a US address in
# a state the default tax table has a rate for; elsewhere a plain one in the first allowed
# country.
DEFAULT_NAME = "Ada Lovelace"
DEFAULT_ADDRESS = {"line1": "1 Main St", "line2": None, "city": "Springfield", "state": "IL",
                   "postal_code": "62701", "country": "US"}
DEFAULT_PHONE = "+15555550100"


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def default_address(allowed: list[str]) -> dict:
    """The address a test gets unless it gives one: in the US when the session ships there."""
    if not allowed or "US" in allowed:
        return dict(DEFAULT_ADDRESS)
    country = allowed[0]
    return dict(DEFAULT_ADDRESS, country=country, state=_DEFAULT_STATES.get(country))


_DEFAULT_STATES = {"AU": "NSW", "BR": "SP", "CA": "ON", "IN": "MH", "MX": "CMX"}
