"""The schema's regular expressions in plain language, so nobody has to read a regex in a message."""

# Plain-language text for the schema's regular expressions, so nobody has to read a regex.
PATTERN_TEXT = {
    r"^[a-z][a-z0-9]{0,9}$": "1 to 10 lowercase letters or digits, starting with a letter (e.g. dev)",
    r"^[a-z][a-z0-9]{1,9}$": "2 to 10 lowercase letters or digits, starting with a letter (e.g. jhp)",
    r"^[a-z0-9]{2,8}$": "2 to 8 lowercase letters or digits (e.g. weu)",
    r"^[a-z][a-z0-9]+$": "an Azure region name (e.g. westeurope, or its display name West Europe)",
    r"^[a-z0-9]{3,24}$": "3 to 24 lowercase letters or digits",
    r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$": "3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit",
    r"^[A-Za-z0-9][A-Za-z0-9-]*$": "an Azure DevOps organization name (letters, digits, hyphens)",
    r"^[A-Za-z][A-Za-z0-9]{0,11}$": "1 to 12 letters or digits, starting with a letter (e.g. linux)",
}
