"""Run pip-audit on the project's environment: a known vulnerability fails; an unreachable
vulnerability database (an offline machine) is a printed warning, not a failure.

pip-audit answers "could not be audited" for each package whose advisories it could not fetch;
that is not the same as "no known vulnerabilities", so it is reported as such, loudly.
"""
import json
import subprocess
import sys
from pathlib import Path

UNREACHABLE_HINTS = ("could not be audited", "connection", "max retries", "name resolution", "timed out",
                     "temporary failure", "network is unreachable")


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    run = subprocess.run([str(pip_audit), "--format", "json", "--progress-spinner", "off"],
                         capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        if any(hint in run.stderr.lower() for hint in UNREACHABLE_HINTS):
            print("pip-audit: WARNING: the vulnerability database is not reachable; nothing was audited.")
            print(run.stderr.strip()[-2000:])
            return 0
        print(run.stdout[-2000:], run.stderr[-2000:], sep="\n")
        return run.returncode or 1
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"pip-audit: VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
    audited = len(dependencies) - len(skipped)
    if skipped:
        unreachable = all("could not be audited" in d["skip_reason"] for d in skipped)
        reason = "the vulnerability database is not reachable from here" if unreachable else "see pip-audit's reasons"
        print(f"pip-audit: WARNING: {len(skipped)} of {len(dependencies)} packages could not be audited ({reason}).")
    print(f"pip-audit: {audited} package(s) audited, {len(vulnerable)} with known vulnerabilities.")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
