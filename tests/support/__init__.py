"""What the tests share, in one place; the conftests hold only fixtures.

- `net`: the repository's paths, a free port on 127.0.0.1, a served sandbox's readiness and reset,
  and plain clients signed by the sandbox's root user;
- `faults`: a fresh sandbox account per test with faults on the wire (crashes, IAM's "not yet",
  denials), and what the account holds;
- `sandbox`: the sandbox tests' target (in process or served) and helpers for IAM's answers;
- `terminal_screen`: the terminal's QR text art read back the way a phone reads it;
- `browser`: the Jupyter servers and the browser page the browser tests drive;
- `person`: a person going through the panels in that page.
"""
